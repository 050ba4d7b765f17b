//! GraphQL views of care-team grants and of a clinician's patients.
//!
//! A `Patient` is reached only through a live grant (`patients`, `patient`), and shows health
//! data only within the grant's scopes: a list outside them is null.

use async_graphql::{Context, ID, Object};
use entity::{care_team_grants, users};

use super::service;
use crate::{
    assessments::{
        graphql::{AssessmentFilters, assessments_page},
        types::HealthAssessment,
    },
    batching::load_one,
    context::services,
    enums::{AnalysisStatus, AssessmentType, CareTeamScope, Gender, ReportType},
    error::AppError,
    pagination::{Page, PageArgs},
    reports::{
        graphql::{ReportFilters, reports_page},
        types::MedicalReport,
    },
    scalars,
    users::{loaders::LastActiveByUserId, person::Person},
};

/// A patient's consent for one clinician to see (and annotate) some of their data.
pub struct CareTeamGrant(pub care_team_grants::Model);

/// Access a patient gave a clinician to some of their data, until it expires or is revoked.
#[Object]
impl CareTeamGrant {
    /// The grant's id.
    async fn id(&self) -> ID {
        ID::from(self.0.id.to_string())
    }
    /// The clinician who was given access.
    async fn clinician(&self, ctx: &Context<'_>) -> Result<Person<'static>, AppError> {
        Person::load(ctx, self.0.clinician_id).await
    }
    /// What the clinician may do.
    async fn scopes(&self) -> Vec<CareTeamScope> {
        service::scopes(&self.0)
    }
    /// When the access was given.
    async fn created_at(&self) -> scalars::DateTime {
        self.0.created_at.into()
    }
    /// When access ends by itself; null: until revoked.
    async fn expires_at(&self) -> Option<scalars::DateTime> {
        self.0.expires_at.map(Into::into)
    }
    /// When the patient withdrew it; null while not revoked.
    async fn revoked_at(&self) -> Option<scalars::DateTime> {
        self.0.revoked_at.map(Into::into)
    }
    /// Neither revoked nor expired.
    async fn is_active(&self, ctx: &Context<'_>) -> bool {
        service::is_live(&self.0, services(ctx).clock.now())
    }
}

/// Someone who granted the calling clinician access, seen through that grant.
pub struct Patient {
    pub grant: care_team_grants::Model,
    /// The patient's account, loaded with the page (a page of patients loads every account in
    /// one statement before its fields resolve, so the count cannot depend on loader timing).
    pub user: Option<users::Model>,
}

impl Patient {
    fn user(&self) -> Result<&users::Model, AppError> {
        self.user.as_ref().ok_or(AppError::NotFound)
    }
}

/// A person who gave you (a clinician) access, as far as their grant's scopes allow.
#[Object]
impl Patient {
    /// The patient's account id.
    async fn id(&self) -> ID {
        ID::from(self.grant.patient_id.to_string())
    }
    /// Their sign-in address.
    async fn email(&self) -> Result<&str, AppError> {
        Ok(&self.user()?.email)
    }
    /// Given name.
    async fn first_name(&self) -> Result<&str, AppError> {
        Ok(&self.user()?.first_name)
    }
    /// Family name.
    async fn last_name(&self) -> Result<&str, AppError> {
        Ok(&self.user()?.last_name)
    }
    /// Birth date, when given.
    async fn date_of_birth(&self) -> Result<Option<scalars::Date>, AppError> {
        Ok(self.user()?.date_of_birth.map(Into::into))
    }
    /// Gender, when given.
    async fn gender(&self) -> Result<Option<Gender>, AppError> {
        self.user()?
            .gender
            .as_deref()
            .map(Gender::from_db)
            .transpose()
    }
    /// What the patient shared with you.
    async fn scopes(&self) -> Vec<CareTeamScope> {
        service::scopes(&self.grant)
    }
    /// When the patient granted access.
    async fn access_granted_at(&self) -> scalars::DateTime {
        self.grant.created_at.into()
    }
    /// When your access ends by itself; null: until the patient revokes it.
    async fn access_expires_at(&self) -> Option<scalars::DateTime> {
        self.grant.expires_at.map(Into::into)
    }
    /// The patient's latest activity in the app, on any device.
    async fn last_active_at(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<scalars::DateTime>, AppError> {
        Ok(load_one::<LastActiveByUserId>(ctx, self.grant.patient_id)
            .await?
            .map(Into::into))
    }

    /// The patient's health assessments, newest first (as `me.healthAssessments`); null unless
    /// the grant holds ASSESSMENTS.
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
    ) -> Result<Option<Page<HealthAssessment>>, AppError> {
        if !service::has_scope(&self.grant, CareTeamScope::Assessments) {
            return Ok(None);
        }
        let filters = AssessmentFilters {
            assessment_type,
            from,
            to,
        };
        let args = PageArgs::parse(after, before, first, last)?;
        Ok(Some(
            assessments_page(ctx, self.grant.patient_id, filters, args).await?,
        ))
    }

    /// The patient's medical reports, newest upload first (as `me.medicalReports`); null
    /// unless the grant holds REPORTS.
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
    ) -> Result<Option<Page<MedicalReport>>, AppError> {
        if !service::has_scope(&self.grant, CareTeamScope::Reports) {
            return Ok(None);
        }
        let filters = ReportFilters {
            report_type,
            status,
            archived,
            from,
            to,
        };
        let args = PageArgs::parse(after, before, first, last)?;
        Ok(Some(
            reports_page(ctx, self.grant.patient_id, filters, args).await?,
        ))
    }
}

/// Its lists load through loaders. (`plain`: resolved by async-graphql.)
impl crate::plain::PlainFields for Patient {}

/// Its clinician loads through a loader. (`plain`: resolved by async-graphql.)
impl crate::plain::PlainFields for CareTeamGrant {}
