//! Care-team resolvers: patients grant and revoke access; clinicians list their patients, look
//! one up and write doctor notes. Every clinician read is recorded in the audit log, one
//! statement per request whatever the page size.

use async_graphql::{Context, ID, Lookahead, Object, SimpleObject};
use entity::care_team_grants;

use super::{
    loaders::LiveGrantsByClinicianId,
    service::{self, NewGrant},
    types::{CareTeamGrant, Patient},
};
use crate::{
    context::{client, db, parse_id, primary, services, viewer, viewer_with_role},
    enums::{CareTeamScope, Role},
    error::AppError,
    pagination::{Filter, Page, PageArgs, load_page},
    scalars,
    users::{loaders::users_by_id, person::Person, service::name_or_email_like},
};

/// A grant after it was given or revoked.
#[derive(SimpleObject)]
pub struct CareTeamGrantPayload {
    /// The grant as it is now.
    pub grant: CareTeamGrant,
}

/// The doctor notes of a report after a clinician changed them.
#[derive(SimpleObject)]
pub struct UpdateDoctorNotesPayload {
    /// The report's id.
    pub report_id: ID,
    /// The notes as stored; null when cleared.
    pub doctor_notes: Option<String>,
    /// Who wrote them (you).
    pub doctor_notes_by: Option<Person<'static>>,
    /// When they changed.
    pub doctor_notes_updated_at: Option<scalars::DateTime>,
}

/// What of a patient the selections read (a connection shows patients both as `edges.node` and
/// as `nodes`), within what the grant allows: the audit log's `details.fields`.
fn fields_read(selections: &[Lookahead<'_>], grant: &care_team_grants::Model) -> Vec<&'static str> {
    let selects = |field: &str| selections.iter().any(|s| s.field(field).exists());
    let mut fields = vec!["profile"];
    if selects("healthAssessments") && service::has_scope(grant, CareTeamScope::Assessments) {
        fields.push("assessments");
    }
    if selects("medicalReports") && service::has_scope(grant, CareTeamScope::Reports) {
        fields.push("reports");
    }
    fields
}

#[derive(Default)]
pub struct CareTeamQuery;

#[Object]
impl CareTeamQuery {
    /// CLINICIAN only: the people who granted you access and whose access is in force, newest
    /// grant first; `search` matches name or email. Each patient shows only what their grant's
    /// scopes allow. Reading is recorded in the patients' audit log.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn patients(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Only patients whose email or name contains this text (case-insensitive, at most 100 characters)."
        )]
        search: Option<String>,
        #[graphql(desc = "Items after this cursor (an edge's `cursor`).")] after: Option<String>,
        #[graphql(desc = "Items before this cursor (an edge's `cursor`).")] before: Option<String>,
        #[graphql(desc = "Items from the start: 20 by default, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Items from the end, at most 100 (not with `first`).")] last: Option<i32>,
    ) -> Result<Page<Patient>, AppError> {
        let clinician = viewer_with_role(ctx, Role::Clinician)?;
        let search = Filter::search(search.as_deref(), |pattern| {
            service::patient_where(name_or_email_like(pattern))
        })?;
        let args =
            PageArgs::parse(after, before, first, last)?.with_filters(search.into_iter().collect());
        let mut page =
            load_page::<LiveGrantsByClinicianId, _>(ctx, clinician.user.id, args, |grant| {
                Ok(Patient { grant, user: None })
            })
            .await?;
        let ids: Vec<i32> = page.edges.iter().map(|e| e.node.grant.patient_id).collect();
        let mut accounts = users_by_id(db(ctx), &ids).await?;
        for edge in &mut page.edges {
            edge.node.user = accounts.remove(&edge.node.grant.patient_id);
        }
        let patients = ctx.look_ahead();
        let selections = [
            patients.field("edges").field("node"),
            patients.field("nodes"),
        ];
        if selections.iter().any(Lookahead::exists) {
            let reads = page
                .edges
                .iter()
                .map(|edge| {
                    let grant = &edge.node.grant;
                    (grant.patient_id, fields_read(&selections, grant))
                })
                .collect();
            let now = services(ctx).clock.now();
            service::record_reads(primary(ctx), clinician.user.id, reads, client(ctx).ip, now)
                .await?;
        }
        Ok(page)
    }

    /// CLINICIAN only: one patient who granted you access (NOT_FOUND otherwise, also after
    /// revocation or expiry). Reading is recorded in the patient's audit log.
    async fn patient(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The patient's account id.")] id: ID,
    ) -> Result<Patient, AppError> {
        let clinician = viewer_with_role(ctx, Role::Clinician)?;
        let now = services(ctx).clock.now();
        let grant = service::live_grant(db(ctx), clinician.user.id, parse_id(&id)?, now)
            .await?
            .ok_or(AppError::NotFound)?;
        let reads = vec![(grant.patient_id, fields_read(&[ctx.look_ahead()], &grant))];
        service::record_reads(primary(ctx), clinician.user.id, reads, client(ctx).ip, now).await?;
        let user = users_by_id(db(ctx), &[grant.patient_id])
            .await?
            .remove(&grant.patient_id);
        Ok(Patient { grant, user })
    }
}

#[derive(Default)]
pub struct CareTeamMutation;

#[Object]
impl CareTeamMutation {
    /// Lets a clinician (an account with the CLINICIAN role) see some of your data: the
    /// `scopes`, until `expiresAt` (or until revoked). A grant to the same clinician still in
    /// force is replaced by this one.
    async fn grant_care_team_access(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The address of an active CLINICIAN account.")] clinician_email: String,
        #[graphql(desc = "What they may see and do (at least one).")] scopes: Vec<CareTeamScope>,
        #[graphql(desc = "When the access ends by itself; null: until revoked.")]
        expires_at: Option<scalars::DateTime>,
    ) -> Result<CareTeamGrantPayload, AppError> {
        let viewer = viewer(ctx)?;
        if clinician_email.len() > 254 {
            return Err(AppError::bad_input(
                "clinicianEmail",
                "no active clinician account has this email address",
            ));
        }
        let new = NewGrant {
            clinician_email,
            scopes,
            expires_at: expires_at.map(Into::into),
        };
        let now = services(ctx).clock.now();
        let grant = service::grant_access(db(ctx), &viewer.user, new, client(ctx).ip, now).await?;
        Ok(CareTeamGrantPayload {
            grant: CareTeamGrant(grant),
        })
    }

    /// Withdraws one of your grants at once; the clinician sees nothing more of you through it.
    async fn revoke_care_team_access(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The grant's id (from `me.careTeamGrants`).")] id: ID,
    ) -> Result<CareTeamGrantPayload, AppError> {
        let viewer = viewer(ctx)?;
        let now = services(ctx).clock.now();
        let grant =
            service::revoke_access(db(ctx), viewer.user.id, parse_id(&id)?, client(ctx).ip, now)
                .await?;
        Ok(CareTeamGrantPayload {
            grant: CareTeamGrant(grant),
        })
    }

    /// CLINICIAN only: writes the doctor notes of a patient's report (empty text clears them).
    /// Needs a grant in force with REPORT_NOTES; otherwise NOT_FOUND and nothing changes.
    async fn update_doctor_notes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The patient's report.")] report_id: ID,
        #[graphql(desc = "The notes, at most 10,000 characters; empty text clears them.")]
        notes: String,
    ) -> Result<UpdateDoctorNotesPayload, AppError> {
        let clinician = viewer_with_role(ctx, Role::Clinician)?;
        let now = services(ctx).clock.now();
        let report = service::update_doctor_notes(
            db(ctx),
            clinician.user.id,
            parse_id(&report_id)?,
            &notes,
            client(ctx).ip,
            now,
        )
        .await?;
        let author = match report.doctor_notes_author_id {
            Some(id) => Some(Person::load(ctx, id).await?),
            None => None,
        };
        Ok(UpdateDoctorNotesPayload {
            report_id,
            doctor_notes: report.doctor_notes,
            doctor_notes_by: author,
            doctor_notes_updated_at: report.doctor_notes_updated_at.map(Into::into),
        })
    }
}
