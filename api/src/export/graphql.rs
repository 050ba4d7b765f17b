//! `exportMyData` and the `DataExport` type (listed in `me.dataExports`).

use async_graphql::{Context, ID, Object, SimpleObject};
use entity::data_exports;

use super::service;
use crate::{
    context::{client, db, services, viewer},
    enums::DataExportStatus,
    error::AppError,
    scalars,
};

/// An archive of everything you have here, built in the background.
pub struct DataExport(pub data_exports::Model);

/// An archive of everything your account holds, built in the background.
#[Object]
impl DataExport {
    /// The export's id.
    async fn id(&self) -> ID {
        ID::from(self.0.id.to_string())
    }
    /// Where it is: PENDING, READY, DOWNLOADED, EXPIRED or FAILED.
    async fn status(&self, ctx: &Context<'_>) -> Result<DataExportStatus, AppError> {
        service::status(&self.0, services(ctx).clock.now())
    }
    /// When it was asked for.
    async fn created_at(&self) -> scalars::DateTime {
        self.0.created_at.into()
    }
    /// When the archive was built (or building failed).
    async fn completed_at(&self) -> Option<scalars::DateTime> {
        self.0.completed_at.map(Into::into)
    }
    /// Until when the archive can be downloaded.
    async fn expires_at(&self) -> Option<scalars::DateTime> {
        self.0.expires_at.map(Into::into)
    }
    /// Size of the archive in bytes.
    async fn size_bytes(&self) -> Option<i64> {
        self.0.file_size
    }
    /// Why building the archive FAILED.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
    /// An absolute, short-lived signed link to the archive (a zip) that works once, with no
    /// header; null unless READY. `GET /files/exports/{id}` with the bearer token works too.
    async fn download_url(&self, ctx: &Context<'_>) -> Result<Option<String>, AppError> {
        let ready = service::status(&self.0, services(ctx).clock.now())? == DataExportStatus::Ready;
        Ok(ready.then(|| match crate::http::links::of(ctx) {
            Some(links) => links.url(crate::http::links::Kind::Export, self.0.id, None),
            None => format!("/files/exports/{}", self.0.id),
        }))
    }
}

/// An export that was asked for.
#[derive(SimpleObject)]
pub struct DataExportPayload {
    /// The export; follow it in `me.dataExports`.
    pub export: DataExport,
}

#[derive(Default)]
pub struct ExportMutation;

#[Object]
impl ExportMutation {
    /// Prepares a zip of everything you have here: profile, assessments, reports with their
    /// files, chat, settings, sessions, care-team grants and your audit log (docs/export.md).
    /// It is built in the background: follow `me.dataExports` until READY, then download it
    /// once from `downloadUrl` before `expiresAt`. One at a time (CONFLICT), a few a day.
    async fn export_my_data(&self, ctx: &Context<'_>) -> Result<DataExportPayload, AppError> {
        let viewer = viewer(ctx)?;
        let now = services(ctx).clock.now();
        let row = service::request_export(db(ctx), viewer.user.id, client(ctx).ip, now).await?;
        Ok(DataExportPayload {
            export: DataExport(row),
        })
    }
}

/// A handful of exports per account. (`plain`: resolved by async-graphql.)
impl crate::plain::PlainFields for DataExport {}
