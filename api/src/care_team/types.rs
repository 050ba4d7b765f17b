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
    users::loaders::{LastActiveByUserId, UsersById},
};

/// The account `id`, loaded with every other account the request shows in one statement.
pub async fn load_user(ctx: &Context<'_>, id: i32) -> Result<users::Model, AppError> {
    load_one::<UsersById>(ctx, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Another person as a care team shows them: a name and an address, nothing more.
pub struct CareTeamMember(pub users::Model);

#[Object]
impl CareTeamMember {
    async fn id(&self) -> ID {
        ID::from(self.0.id.to_string())
    }
    async fn email(&self) -> &str {
        &self.0.email
    }
    async fn first_name(&self) -> &str {
        &self.0.first_name
    }
    async fn last_name(&self) -> &str {
        &self.0.last_name
    }
}

/// A patient's consent for one clinician to see (and annotate) some of their data.
pub struct CareTeamGrant(pub care_team_grants::Model);

#[Object]
impl CareTeamGrant {
    async fn id(&self) -> ID {
        ID::from(self.0.id.to_string())
    }
    /// The clinician who was given access.
    async fn clinician(&self, ctx: &Context<'_>) -> Result<CareTeamMember, AppError> {
        Ok(CareTeamMember(load_user(ctx, self.0.clinician_id).await?))
    }
    /// What the clinician may do.
    async fn scopes(&self) -> Vec<CareTeamScope> {
        service::scopes(&self.0)
    }
    async fn created_at(&self) -> scalars::DateTime {
        self.0.created_at.into()
    }
    /// When access ends by itself; null: until revoked.
    async fn expires_at(&self) -> Option<scalars::DateTime> {
        self.0.expires_at.map(Into::into)
    }
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

#[Object]
impl Patient {
    /// The patient's account id.
    async fn id(&self) -> ID {
        ID::from(self.grant.patient_id.to_string())
    }
    async fn email(&self) -> Result<&str, AppError> {
        Ok(&self.user()?.email)
    }
    async fn first_name(&self) -> Result<&str, AppError> {
        Ok(&self.user()?.first_name)
    }
    async fn last_name(&self) -> Result<&str, AppError> {
        Ok(&self.user()?.last_name)
    }
    async fn date_of_birth(&self) -> Result<Option<scalars::Date>, AppError> {
        Ok(self.user()?.date_of_birth.map(Into::into))
    }
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
        #[graphql(name = "type")] assessment_type: Option<AssessmentType>,
        from: Option<scalars::DateTime>,
        to: Option<scalars::DateTime>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
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
        report_type: Option<ReportType>,
        status: Option<AnalysisStatus>,
        archived: Option<bool>,
        from: Option<scalars::DateTime>,
        to: Option<scalars::DateTime>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
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
