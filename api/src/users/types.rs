//! GraphQL view of an account. `password_hash` is never exposed.
//!
//! A `User` is only ever reached through `me`, so its relations are the caller's own rows.

use async_graphql::{Context, Object};
use entity::{chat_sessions, users};
use sea_orm::ColumnTrait;

use crate::{
    assessments::{
        graphql::{AssessmentFilters, AssessmentTrendPoint, assessments_page, trend_points},
        types::HealthAssessment,
    },
    auth::{loaders::SessionsByUserId, types::UserSession},
    care_team::{loaders::GrantsByPatientId, types::CareTeamGrant},
    chat::{loaders::ChatSessionsByUserId, types::ChatSession},
    enums::{AnalysisStatus, AssessmentType, Gender, ReportType, Role, SessionType},
    error::AppError,
    export::{loaders::ExportsByUserId, types::DataExport},
    pagination::{Filter, Page, PageArgs, load_page, load_rows},
    reminders::{self, graphql::ReminderOccurrence},
    reports::{
        graphql::{ReportFilters, reports_page},
        types::MedicalReport,
    },
    scalars,
    settings::{self, loaders::SettingsByUserId, types::Setting},
    users::person::Person,
};

/// A person with an Echo Health account.
pub struct User(pub users::Model);

/// A person with an Echo Health account, as they see themselves (`me`): profile, health records,
/// chats, devices and settings.
#[Object]
impl User {
    #[graphql(flatten)]
    async fn person(&self) -> Person<'_> {
        Person::of(&self.0)
    }
    /// Birth date, when given.
    async fn date_of_birth(&self) -> Option<scalars::Date> {
        self.0.date_of_birth.map(Into::into)
    }
    /// Gender, when given.
    async fn gender(&self) -> Result<Option<Gender>, AppError> {
        self.0.gender.as_deref().map(Gender::from_db).transpose()
    }
    /// Phone number, when given (E.164, e.g. +442071234567).
    async fn phone_number(&self) -> Option<&str> {
        self.0.phone_number.as_deref()
    }
    /// An absolute, short-lived signed link to the profile image (JPEG) that works in an
    /// `<img src>` with no header; it changes when the image does. Null without an image.
    async fn profile_image_url(&self, ctx: &Context<'_>) -> Option<String> {
        crate::users::avatar::download_url(&self.0, crate::http::links::of(ctx))
    }
    /// Whether the email address has been confirmed with a one-time code.
    async fn is_verified(&self) -> bool {
        self.0.is_verified
    }
    /// False once an admin deactivated the account (it cannot sign in).
    async fn is_active(&self) -> bool {
        self.0.is_active
    }
    /// USER, or a staff role given by an admin.
    async fn role(&self) -> Result<Role, AppError> {
        Role::from_db(&self.0.role)
    }
    /// When the account was registered.
    async fn created_at(&self) -> scalars::DateTime {
        self.0.created_at.into()
    }
    /// When the profile last changed.
    async fn updated_at(&self) -> scalars::DateTime {
        self.0.updated_at.into()
    }

    /// Health assessments, newest first; optionally one instrument, and those created at or
    /// after `from` and before `to`.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn health_assessments(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "type", desc = "Only this instrument's results.")] assessment_type: Option<
            AssessmentType,
        >,
        #[graphql(desc = "Only results created at or after this instant.")] from: Option<
            scalars::DateTime,
        >,
        #[graphql(desc = "Only results created before this instant.")] to: Option<
            scalars::DateTime,
        >,
        #[graphql(desc = "Items after this cursor (an edge's `cursor`).")] after: Option<String>,
        #[graphql(desc = "Items before this cursor (an edge's `cursor`).")] before: Option<String>,
        #[graphql(desc = "Items from the start: 20 by default, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Items from the end, at most 100 (not with `first`).")] last: Option<i32>,
    ) -> Result<Page<HealthAssessment>, AppError> {
        let filters = AssessmentFilters {
            assessment_type,
            from,
            to,
        };
        assessments_page(
            ctx,
            self.0.id,
            filters,
            PageArgs::parse(after, before, first, last)?,
        )
        .await
    }

    /// One instrument's results in time order (oldest first), the series a chart needs;
    /// optionally those created at or after `from` and before `to`.
    async fn assessment_trend(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "type", desc = "The instrument whose results to chart.")] assessment_type: AssessmentType,
        #[graphql(desc = "Only results created at or after this instant.")] from: Option<
            scalars::DateTime,
        >,
        #[graphql(desc = "Only results created before this instant.")] to: Option<
            scalars::DateTime,
        >,
    ) -> Result<Vec<AssessmentTrendPoint>, AppError> {
        trend_points(ctx, self.0.id, assessment_type, from, to).await
    }

    /// Uploaded medical reports, newest upload first; optionally of one type, in one analysis
    /// status, archived or not (both when omitted), uploaded at or after `from` and before `to`.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn medical_reports(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only reports of this type.")] report_type: Option<ReportType>,
        #[graphql(desc = "Only reports in this analysis status.")] status: Option<AnalysisStatus>,
        #[graphql(desc = "Only archived (true) or unarchived (false) reports; both when omitted.")]
        archived: Option<bool>,
        #[graphql(desc = "Only reports uploaded at or after this instant.")] from: Option<
            scalars::DateTime,
        >,
        #[graphql(desc = "Only reports uploaded before this instant.")] to: Option<
            scalars::DateTime,
        >,
        #[graphql(desc = "Items after this cursor (an edge's `cursor`).")] after: Option<String>,
        #[graphql(desc = "Items before this cursor (an edge's `cursor`).")] before: Option<String>,
        #[graphql(desc = "Items from the start: 20 by default, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Items from the end, at most 100 (not with `first`).")] last: Option<i32>,
    ) -> Result<Page<MedicalReport>, AppError> {
        let filters = ReportFilters {
            report_type,
            status,
            archived,
            from,
            to,
        };
        reports_page(
            ctx,
            self.0.id,
            filters,
            PageArgs::parse(after, before, first, last)?,
        )
        .await
    }

    /// Chat sessions with the assistant, most recently started first; optionally only active
    /// (or ended) ones, of one type.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn chat_sessions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only active (true) or ended (false) sessions; both when omitted.")]
        active: Option<bool>,
        #[graphql(desc = "Only sessions of this type.")] session_type: Option<SessionType>,
        #[graphql(desc = "Items after this cursor (an edge's `cursor`).")] after: Option<String>,
        #[graphql(desc = "Items before this cursor (an edge's `cursor`).")] before: Option<String>,
        #[graphql(desc = "Items from the start: 20 by default, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Items from the end, at most 100 (not with `first`).")] last: Option<i32>,
    ) -> Result<Page<ChatSession>, AppError> {
        let mut filters = Vec::new();
        if let Some(active) = active {
            filters.push(Filter::new(chat_sessions::Column::IsActive.eq(active)));
        }
        if let Some(session_type) = session_type {
            filters.push(Filter::new(
                chat_sessions::Column::SessionType.eq(session_type.as_db()),
            ));
        }
        let args = PageArgs::parse(after, before, first, last)?.with_filters(filters);
        load_page::<ChatSessionsByUserId, _>(ctx, self.0.id, args, ChatSession::try_from).await
    }

    /// Devices currently signed in (active, unexpired sessions), newest first.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn sessions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Items after this cursor (an edge's `cursor`).")] after: Option<String>,
        #[graphql(desc = "Items before this cursor (an edge's `cursor`).")] before: Option<String>,
        #[graphql(desc = "Items from the start: 20 by default, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Items from the end, at most 100 (not with `first`).")] last: Option<i32>,
    ) -> Result<Page<UserSession>, AppError> {
        let args = PageArgs::parse(after, before, first, last)?;
        load_page::<SessionsByUserId, _>(ctx, self.0.id, args, |m| Ok(UserSession::new(m))).await
    }

    /// The access you gave clinicians, newest first, revoked and expired grants included.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn care_team_grants(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Items after this cursor (an edge's `cursor`).")] after: Option<String>,
        #[graphql(desc = "Items before this cursor (an edge's `cursor`).")] before: Option<String>,
        #[graphql(desc = "Items from the start: 20 by default, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Items from the end, at most 100 (not with `first`).")] last: Option<i32>,
    ) -> Result<Page<CareTeamGrant>, AppError> {
        let args = PageArgs::parse(after, before, first, last)?;
        load_page::<GrantsByPatientId, _>(ctx, self.0.id, args, |g| Ok(CareTeamGrant(g))).await
    }

    /// The archives of your data you asked for (`exportMyData`), newest first.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn data_exports(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Items after this cursor (an edge's `cursor`).")] after: Option<String>,
        #[graphql(desc = "Items before this cursor (an edge's `cursor`).")] before: Option<String>,
        #[graphql(desc = "Items from the start: 20 by default, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Items from the end, at most 100 (not with `first`).")] last: Option<i32>,
    ) -> Result<Page<DataExport>, AppError> {
        let args = PageArgs::parse(after, before, first, last)?;
        load_page::<ExportsByUserId, _>(ctx, self.0.id, args, |e| Ok(DataExport(e))).await
    }

    /// Your whole health record as an HL7 FHIR R4 `searchset` Bundle, the same resources as
    /// `GET /fhir/r4/Patient/{id}/$everything` (docs/fhir.md): Patient, Observations,
    /// QuestionnaireResponses, RiskAssessments, DiagnosticReports, DocumentReferences (with
    /// signed download links), Provenance of AI-written text, and the Practitioners who wrote
    /// doctor notes. Not paged.
    #[graphql(complexity = 50)]
    async fn fhir_record(
        &self,
        ctx: &Context<'_>,
    ) -> Result<scalars::Json<serde_json::Value>, AppError> {
        let links = crate::http::links::of(ctx).ok_or(AppError::Unauthenticated)?;
        let base = format!("{}/fhir/r4", links.base());
        let file_url = |row: &entity::medical_reports::Model| {
            links.url(crate::http::links::Kind::Report, row.id, None)
        };
        let entries = crate::fhir::record::own(crate::context::db(ctx), &self.0, &file_url).await?;
        let self_link = format!("{base}/Patient/{}/$everything", self.0.id);
        Ok(scalars::Json(crate::fhir::bundle::searchset(
            &base,
            entries.len(),
            &entries,
            &self_link,
            None,
            &[],
        )))
    }

    /// Your next reminders from the `reminder_schedule` setting, soonest first: when each fires
    /// (UTC) and the wall-clock time in the schedule's zone (daylight-saving changes applied).
    async fn upcoming_reminders(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10, desc = "How many, 1 to 50.")] first: i32,
    ) -> Result<Vec<ReminderOccurrence>, AppError> {
        let args = PageArgs::parse(None, None, Some(100), None)?;
        let rows = load_rows::<SettingsByUserId>(ctx, self.0.id, &args).await?;
        let schedule = settings::service::effective(rows)
            .into_iter()
            .find(|s| s.key == "reminder_schedule")
            .map(|s| s.value)
            .unwrap_or_default();
        reminders::graphql::upcoming(&schedule, crate::context::services(ctx).clock.now(), first)
    }

    /// Every known setting with its effective value (stored or default), then the stored
    /// custom settings by key.
    async fn settings(&self, ctx: &Context<'_>) -> Result<Vec<Setting>, AppError> {
        // Known settings plus at most MAX_CUSTOM_SETTINGS custom ones fit one page.
        let args = PageArgs::parse(None, None, Some(100), None)?;
        let rows = load_rows::<SettingsByUserId>(ctx, self.0.id, &args).await?;
        Ok(settings::service::effective(rows)
            .into_iter()
            .map(Setting::from)
            .collect())
    }
}
