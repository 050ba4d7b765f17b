//! Whose record a caller may read, and loading it as FHIR entries. A patient reads their own
//! record; a clinician reads a patient's record through a live care-team grant, within its
//! scopes (ASSESSMENTS, REPORTS), and each such read is audited; anyone else finds nothing.

use std::{collections::HashMap, net::IpAddr};

use chrono::{DateTime, Utc};
use entity::{health_assessments, medical_reports, users};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

use super::{assessments, entry::Entry, people, reports};
use crate::{
    auth::audit::{self, AuditEvent},
    care_team,
    enums::{AuditEventType, CareTeamScope, Role},
    error::AppError,
};

/// What the caller may read of one patient's record.
#[derive(Debug, Clone)]
pub struct Access {
    pub patient: users::Model,
    /// The reading clinician, when it is not the patient.
    pub clinician: Option<i32>,
    pub assessments: bool,
    pub reports: bool,
}

impl Access {
    pub fn allows(&self, scope: CareTeamScope) -> bool {
        match scope {
            CareTeamScope::Assessments => self.assessments,
            CareTeamScope::Reports | CareTeamScope::ReportNotes => self.reports,
        }
    }
}

/// The caller's access to `patient_id`'s record; NOT_FOUND when there is none (no grant, an
/// expired or revoked one, an inactive patient, or another user's id).
pub async fn open(
    conn: &impl ConnectionTrait,
    caller: &users::Model,
    patient_id: i32,
    now: DateTime<Utc>,
) -> Result<Access, AppError> {
    if caller.id == patient_id {
        return Ok(Access {
            patient: caller.clone(),
            clinician: None,
            assessments: true,
            reports: true,
        });
    }
    if Role::from_db(&caller.role)? != Role::Clinician {
        return Err(AppError::NotFound);
    }
    let grant = care_team::service::live_grant(conn, caller.id, patient_id, now)
        .await?
        .ok_or(AppError::NotFound)?;
    let patient = users::Entity::find_by_id(patient_id)
        .one(conn)
        .await?
        .filter(|p| p.is_active)
        .ok_or(AppError::NotFound)?;
    Ok(Access {
        patient,
        clinician: Some(caller.id),
        assessments: care_team::service::has_scope(&grant, CareTeamScope::Assessments),
        reports: care_team::service::has_scope(&grant, CareTeamScope::Reports),
    })
}

/// The resource types each table gives.
pub const FROM_ASSESSMENTS: &[&str] = &[
    "Observation",
    "QuestionnaireResponse",
    "RiskAssessment",
    "Provenance",
];
pub const FROM_REPORTS: &[&str] = &[
    "Observation",
    "DiagnosticReport",
    "DocumentReference",
    "Provenance",
    "Practitioner",
];

/// The resources of the record that `access` allows, of the `types` asked for (all when
/// None), the patient included when asked for. `file_url` gives a report's download link.
pub async fn load(
    conn: &impl ConnectionTrait,
    access: &Access,
    types: Option<&[&str]>,
    file_url: &(dyn Fn(&medical_reports::Model) -> String + Sync),
) -> Result<Vec<Entry>, AppError> {
    let wants = |from: &[&str]| types.is_none_or(|t| t.iter().any(|t| from.contains(t)));
    let patient_id = access.patient.id;
    let mut entries = Vec::new();
    if types.is_none_or(|t| t.contains(&"Patient")) {
        entries.push(people::patient(&access.patient));
    }
    if access.assessments && wants(FROM_ASSESSMENTS) {
        let rows = health_assessments::Entity::find()
            .filter(health_assessments::Column::UserId.eq(patient_id))
            .order_by_asc(health_assessments::Column::Id)
            .all(conn)
            .await?;
        for row in &rows {
            // A row the engine did not write (hand-inserted, or from a removed instrument) is
            // left out of the FHIR view rather than failing the whole record; the export keeps
            // it in health_assessments.json.
            match assessments::resources(row) {
                Ok(resources) => entries.extend(resources),
                Err(err) => {
                    tracing::warn!(assessment_id = row.id, error = %crate::error::error_chain(&err), "an assessment has no FHIR form; left out")
                }
            }
        }
    }
    if access.reports && wants(FROM_REPORTS) {
        let rows = medical_reports::Entity::find()
            .filter(medical_reports::Column::UserId.eq(patient_id))
            .order_by_asc(medical_reports::Column::Id)
            .all(conn)
            .await?;
        for row in &rows {
            entries.extend(reports::resources(row, &file_url(row)));
        }
        let authors: Vec<i32> = rows
            .iter()
            .filter(|r| r.doctor_notes.is_some())
            .filter_map(|r| r.doctor_notes_author_id)
            .collect();
        if !authors.is_empty() {
            let by_id: HashMap<i32, users::Model> = users::Entity::find()
                .filter(users::Column::Id.is_in(authors))
                .all(conn)
                .await?
                .into_iter()
                .map(|u| (u.id, u))
                .collect();
            let mut practitioners: Vec<Entry> = by_id.values().map(people::practitioner).collect();
            practitioners.sort_by(|a, b| a.id.cmp(&b.id));
            entries.extend(practitioners);
        }
    }
    if let Some(types) = types {
        entries.retain(|e| types.contains(&e.resource_type));
    }
    Ok(entries)
}

/// Records a clinician's read in the patient's audit log (a patient reading their own record
/// is not logged): the interaction and the resource types it returned.
pub async fn audit_read(
    conn: &impl ConnectionTrait,
    access: &Access,
    interaction: &str,
    entries: &[Entry],
    ip: Option<IpAddr>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let Some(clinician) = access.clinician else {
        return Ok(());
    };
    let mut types: Vec<&str> = entries.iter().map(|e| e.resource_type).collect();
    types.sort_unstable();
    types.dedup();
    let event = AuditEvent::about(AuditEventType::PatientDataRead, clinician, access.patient.id, ip)
        .with_details(json!({ "via": "fhir", "interaction": interaction, "fields": types, "count": entries.len() }));
    audit::record(conn, event, now).await?;
    Ok(())
}

/// A person's whole record as they see it themselves, in `$everything` order.
pub async fn own(
    conn: &impl ConnectionTrait,
    user: &users::Model,
    file_url: &(dyn Fn(&medical_reports::Model) -> String + Sync),
) -> Result<Vec<Entry>, AppError> {
    let access = Access {
        patient: user.clone(),
        clinician: None,
        assessments: true,
        reports: true,
    };
    let entries = load(conn, &access, None, file_url).await?;
    Ok(super::search::Search::default().page(entries, None).0)
}
