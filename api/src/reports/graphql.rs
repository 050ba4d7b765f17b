//! Report queries and mutations: thin resolvers over `service`.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::medical_reports;
use sea_orm::ColumnTrait;

use super::{loaders::ReportsByUserId, service, types::MedicalReport};
use crate::{
    context::{db, parse_id, services, viewer},
    enums::{AnalysisStatus, ReportType},
    error::AppError,
    pagination::{Filter, Page, PageArgs, load_page},
    scalars,
};

/// The filters of a medical-report list (the caller's own, or a patient's).
pub struct ReportFilters {
    pub report_type: Option<ReportType>,
    pub status: Option<AnalysisStatus>,
    pub archived: Option<bool>,
    pub from: Option<scalars::DateTime>,
    pub to: Option<scalars::DateTime>,
}

/// `user_id`'s medical reports, newest upload first, narrowed by `filters`; batched with every
/// other user's page of the request. Access is the caller's to check.
pub async fn reports_page(
    ctx: &Context<'_>,
    user_id: i32,
    filters: ReportFilters,
    args: PageArgs,
) -> Result<Page<MedicalReport>, AppError> {
    let mut conditions = Vec::new();
    if let Some(report_type) = filters.report_type {
        conditions.push(Filter::new(
            medical_reports::Column::ReportType.eq(report_type.as_db()),
        ));
    }
    if let Some(status) = filters.status {
        conditions.push(Filter::new(
            medical_reports::Column::AnalysisStatus.eq(status.as_db()),
        ));
    }
    if let Some(archived) = filters.archived {
        conditions.push(Filter::new(
            medical_reports::Column::IsArchived.eq(archived),
        ));
    }
    if let Some(from) = filters.from {
        conditions.push(Filter::new(
            medical_reports::Column::UploadDate.gte(DateTime::<Utc>::from(from)),
        ));
    }
    if let Some(to) = filters.to {
        conditions.push(Filter::new(
            medical_reports::Column::UploadDate.lt(DateTime::<Utc>::from(to)),
        ));
    }
    let args = args.with_filters(conditions);
    load_page::<ReportsByUserId, _>(ctx, user_id, args, MedicalReport::try_from).await
}

/// A report after it was uploaded or changed.
#[derive(SimpleObject)]
pub struct MedicalReportPayload {
    /// The report as it is now.
    pub report: MedicalReport,
}

/// What a deletion removed.
#[derive(SimpleObject)]
pub struct DeleteMedicalReportPayload {
    /// The id of the deleted report (its file went with it).
    pub deleted_id: ID,
}

#[derive(Default)]
pub struct ReportsQuery;

#[Object]
impl ReportsQuery {
    /// One of the caller's reports; anyone else's id is NOT_FOUND.
    async fn medical_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The report's id.")] id: ID,
    ) -> Result<MedicalReport, AppError> {
        let viewer = viewer(ctx)?;
        MedicalReport::try_from(service::find_own(db(ctx), viewer.user.id, parse_id(&id)?).await?)
    }
}

#[derive(Default)]
pub struct ReportsMutation;

#[Object]
impl ReportsMutation {
    /// Uploads a report (GraphQL multipart request): PDF, PNG, JPEG, WebP, plain text or CSV,
    /// decided by the content. Its analysis starts in the background (`analysisStatus`).
    async fn upload_medical_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The document: PDF, image (PNG, JPEG, WebP), text or CSV, at most 20 MiB."
        )]
        file: scalars::Upload,
        #[graphql(desc = "What kind of document it is.")] report_type: ReportType,
        #[graphql(desc = "Your name for it (at most 200 characters); the file name when omitted.")]
        title: Option<String>,
    ) -> Result<MedicalReportPayload, AppError> {
        let viewer = viewer(ctx)?;
        let value = file.file(ctx)?;
        let row = service::upload(
            db(ctx),
            services(ctx),
            viewer.user.id,
            report_type,
            title,
            value,
        )
        .await?;
        Ok(MedicalReportPayload {
            report: MedicalReport::try_from(row)?,
        })
    }

    /// Renames (an empty title clears it) or re-types one of the caller's reports.
    async fn update_medical_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The report's id.")] id: ID,
        #[graphql(desc = "A new title; unchanged when omitted.")] title: Option<String>,
        #[graphql(desc = "A new type; unchanged when omitted.")] report_type: Option<ReportType>,
    ) -> Result<MedicalReportPayload, AppError> {
        let viewer = viewer(ctx)?;
        let row =
            service::update(db(ctx), viewer.user.id, parse_id(&id)?, title, report_type).await?;
        Ok(MedicalReportPayload {
            report: MedicalReport::try_from(row)?,
        })
    }

    /// Archives (hides from the default list) or restores one of the caller's reports.
    async fn archive_medical_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The report's id.")] id: ID,
        #[graphql(desc = "True to archive, false to bring it back.")] archived: bool,
    ) -> Result<MedicalReportPayload, AppError> {
        let viewer = viewer(ctx)?;
        let row = service::set_archived(db(ctx), viewer.user.id, parse_id(&id)?, archived).await?;
        Ok(MedicalReportPayload {
            report: MedicalReport::try_from(row)?,
        })
    }

    /// Deletes one of the caller's reports and its file.
    async fn delete_medical_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The report's id.")] id: ID,
    ) -> Result<DeleteMedicalReportPayload, AppError> {
        let viewer = viewer(ctx)?;
        service::delete(db(ctx), services(ctx), viewer.user.id, parse_id(&id)?).await?;
        Ok(DeleteMedicalReportPayload { deleted_id: id })
    }

    /// Queues the report's analysis again (CONFLICT while one is queued or running).
    async fn reanalyze_medical_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The report's id.")] id: ID,
    ) -> Result<MedicalReportPayload, AppError> {
        let viewer = viewer(ctx)?;
        let row =
            service::reanalyze(db(ctx), services(ctx), viewer.user.id, parse_id(&id)?).await?;
        Ok(MedicalReportPayload {
            report: MedicalReport::try_from(row)?,
        })
    }
}
