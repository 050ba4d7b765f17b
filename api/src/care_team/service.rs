//! Care-team grants: a patient's consent for one clinician to read some of their data (and
//! write doctor notes), revocable at once and expiring. Every check of a clinician's access to
//! a patient goes through [`live_grant`]; without a live grant holding the scope, the patient's
//! data reads as NOT_FOUND.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use entity::{care_team_grants, medical_reports, users};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel,
    QueryFilter, TransactionTrait,
    sea_query::{Expr, ExprTrait, IntoCondition, Query},
};
use serde_json::json;

use crate::{
    auth::audit::{self, AuditEvent},
    enums::{AuditEventType, CareTeamScope, Role},
    error::AppError,
};

/// Longest doctor note, in characters.
pub const MAX_NOTES_CHARS: usize = 10_000;

/// The scopes a grant row holds (unknown values, which the CHECK forbids, are skipped).
pub fn scopes(grant: &care_team_grants::Model) -> Vec<CareTeamScope> {
    grant
        .scopes
        .iter()
        .filter_map(|s| CareTeamScope::from_db(s).ok())
        .collect()
}

pub fn has_scope(grant: &care_team_grants::Model, scope: CareTeamScope) -> bool {
    grant.scopes.iter().any(|s| s == scope.as_db())
}

/// Whether a grant lets its clinician in at `now`.
pub fn is_live(grant: &care_team_grants::Model, now: DateTime<Utc>) -> bool {
    grant.revoked_at.is_none() && grant.expires_at.is_none_or(|at| at > now)
}

/// Live grants of active patients at `now` (what [`is_live`] checks on a loaded grant, and
/// the patient's account active): the patients list and single lookups use this one rule.
pub fn live_at(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(care_team_grants::Column::RevokedAt.is_null())
        .add(
            Condition::any()
                .add(care_team_grants::Column::ExpiresAt.is_null())
                .add(care_team_grants::Column::ExpiresAt.gt(now)),
        )
        .add(patient_where(users::Column::IsActive.eq(true)))
}

/// Grants whose patient's account meets `condition` (on `users`).
pub fn patient_where(condition: impl IntoCondition) -> Expr {
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(users::Entity)
            .and_where(
                Expr::col(users::Column::Id.as_column_ref())
                    .equals(care_team_grants::Column::PatientId.as_column_ref()),
            )
            .cond_where(condition)
            .to_owned(),
    )
}

/// The grant through which `clinician_id` may see `patient_id` now, if any. The clinician's own
/// role is the caller's to check (a demoted clinician keeps grants but cannot use them).
pub async fn live_grant(
    conn: &impl ConnectionTrait,
    clinician_id: i32,
    patient_id: i32,
    now: DateTime<Utc>,
) -> Result<Option<care_team_grants::Model>, AppError> {
    let found = care_team_grants::Entity::find()
        .filter(care_team_grants::Column::ClinicianId.eq(clinician_id))
        .filter(care_team_grants::Column::PatientId.eq(patient_id))
        .filter(live_at(now))
        .one(conn)
        .await?;
    Ok(found)
}

/// The patient's live grant for `clinician_id` if it holds `scope`; else NOT_FOUND.
pub async fn require_scope(
    conn: &impl ConnectionTrait,
    clinician_id: i32,
    patient_id: i32,
    scope: CareTeamScope,
    now: DateTime<Utc>,
) -> Result<care_team_grants::Model, AppError> {
    live_grant(conn, clinician_id, patient_id, now)
        .await?
        .filter(|grant| has_scope(grant, scope))
        .ok_or(AppError::NotFound)
}

pub struct NewGrant {
    pub clinician_email: String,
    pub scopes: Vec<CareTeamScope>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Gives a clinician access to some of `patient`'s data. A grant to the same clinician that is
/// still in force is replaced (revoked, then granted anew), so there is one grant to look at.
pub async fn grant_access(
    conn: &DatabaseConnection,
    patient: &users::Model,
    new: NewGrant,
    ip: Option<IpAddr>,
    now: DateTime<Utc>,
) -> Result<care_team_grants::Model, AppError> {
    let mut scopes = new.scopes;
    scopes.sort_by_key(|s| s.as_db());
    scopes.dedup();
    if scopes.is_empty() {
        return Err(AppError::bad_input("scopes", "give at least one scope"));
    }
    if new.expires_at.is_some_and(|at| at <= now) {
        return Err(AppError::bad_input(
            "expiresAt",
            "`expiresAt` must be in the future",
        ));
    }
    let email = new.clinician_email.trim().to_lowercase();
    let clinician = users::Entity::find()
        .filter(users::Column::Email.eq(&email))
        .filter(users::Column::Role.eq(Role::Clinician.as_db()))
        .filter(users::Column::IsActive.eq(true))
        .one(conn)
        .await?
        .filter(|c| c.id != patient.id)
        .ok_or_else(|| {
            AppError::bad_input(
                "clinicianEmail",
                "no active clinician account has this email address",
            )
        })?;

    let txn = conn.begin().await?;
    care_team_grants::Entity::update_many()
        .col_expr(care_team_grants::Column::RevokedAt, Expr::value(now))
        .filter(care_team_grants::Column::PatientId.eq(patient.id))
        .filter(care_team_grants::Column::ClinicianId.eq(clinician.id))
        .filter(care_team_grants::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    let grant = care_team_grants::ActiveModel {
        patient_id: Set(patient.id),
        clinician_id: Set(clinician.id),
        scopes: Set(scopes.iter().map(|s| s.as_db().to_owned()).collect()),
        expires_at: Set(new.expires_at.map(Into::into)),
        created_at: Set(now.into()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let event = AuditEvent::own(AuditEventType::CareTeamGranted, patient.id, ip).with_details(
        json!({ "grant_id": grant.id, "clinician_id": clinician.id, "scopes": grant.scopes,
                "expires_at": grant.expires_at }),
    );
    audit::record(&txn, event, now).await?;
    txn.commit().await?;
    Ok(grant)
}

/// Withdraws one of `patient_id`'s grants at once. Revoking a revoked grant changes nothing;
/// anyone else's grant id is NOT_FOUND.
pub async fn revoke_access(
    conn: &DatabaseConnection,
    patient_id: i32,
    grant_id: i32,
    ip: Option<IpAddr>,
    now: DateTime<Utc>,
) -> Result<care_team_grants::Model, AppError> {
    let grant = care_team_grants::Entity::find_by_id(grant_id)
        .filter(care_team_grants::Column::PatientId.eq(patient_id))
        .one(conn)
        .await?
        .ok_or(AppError::NotFound)?;
    if grant.revoked_at.is_some() {
        return Ok(grant);
    }
    let txn = conn.begin().await?;
    let mut active = grant.into_active_model();
    active.revoked_at = Set(Some(now.into()));
    let grant = active.update(&txn).await?;
    let event = AuditEvent::own(AuditEventType::CareTeamRevoked, patient_id, ip)
        .with_details(json!({ "grant_id": grant.id, "clinician_id": grant.clinician_id }));
    audit::record(&txn, event, now).await?;
    txn.commit().await?;
    Ok(grant)
}

/// Records that `clinician_id` read `fields` of each patient, in one statement.
pub async fn record_reads(
    conn: &impl ConnectionTrait,
    clinician_id: i32,
    reads: Vec<(i32, Vec<&'static str>)>,
    ip: Option<IpAddr>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let events = reads
        .into_iter()
        .map(|(patient_id, fields)| {
            AuditEvent::about(
                AuditEventType::PatientDataRead,
                clinician_id,
                patient_id,
                ip,
            )
            .with_details(json!({ "fields": fields }))
        })
        .collect();
    audit::record_all(conn, events, now).await?;
    Ok(())
}

/// A clinician writes (or, with empty text, clears) the doctor notes of a patient's report.
/// Without a live grant holding REPORT_NOTES the report is NOT_FOUND and nothing changes.
pub async fn update_doctor_notes(
    conn: &DatabaseConnection,
    clinician_id: i32,
    report_id: i32,
    notes: &str,
    ip: Option<IpAddr>,
    now: DateTime<Utc>,
) -> Result<medical_reports::Model, AppError> {
    let report = medical_reports::Entity::find_by_id(report_id)
        .one(conn)
        .await?
        .ok_or(AppError::NotFound)?;
    require_scope(
        conn,
        clinician_id,
        report.user_id,
        CareTeamScope::ReportNotes,
        now,
    )
    .await?;
    let notes = notes.trim();
    if notes.chars().count() > MAX_NOTES_CHARS {
        return Err(AppError::bad_input(
            "notes",
            format!("notes may be at most {MAX_NOTES_CHARS} characters"),
        ));
    }
    let txn = conn.begin().await?;
    // Guarded by the grant again inside the transaction: a revocation that commits first wins.
    let updated = medical_reports::Entity::update_many()
        .col_expr(
            medical_reports::Column::DoctorNotes,
            Expr::value((!notes.is_empty()).then(|| notes.to_owned())),
        )
        .col_expr(
            medical_reports::Column::DoctorNotesAuthorId,
            Expr::value(Some(clinician_id)),
        )
        .col_expr(
            medical_reports::Column::DoctorNotesUpdatedAt,
            Expr::value(Some(now)),
        )
        .filter(medical_reports::Column::Id.eq(report.id))
        .filter(
            Condition::all().add(Expr::cust_with_values(
                "EXISTS (SELECT 1 FROM care_team_grants g WHERE g.patient_id = medical_reports.user_id \
                 AND g.clinician_id = $1 AND g.revoked_at IS NULL AND 'report_notes' = ANY(g.scopes) \
                 AND (g.expires_at IS NULL OR g.expires_at > $2)) \
                 AND EXISTS (SELECT 1 FROM users p WHERE p.id = medical_reports.user_id AND p.is_active)",
                [clinician_id.into(), sea_orm::Value::from(now)],
            )),
        )
        .exec_with_returning(&txn)
        .await?;
    let report = updated.into_iter().next().ok_or(AppError::NotFound)?;
    let event = AuditEvent::about(
        AuditEventType::PatientDataWritten,
        clinician_id,
        report.user_id,
        ip,
    )
    .with_details(json!({ "report_id": report.id, "fields": ["doctor_notes"] }));
    audit::record(&txn, event, now).await?;
    txn.commit().await?;
    Ok(report)
}
