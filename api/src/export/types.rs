//! GraphQL view of a data export.

use async_graphql::{Context, ID, Object};
use entity::data_exports;

use super::service;
use crate::{context::services, enums::DataExportStatus, error::AppError, scalars};

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

/// A handful of exports per account. (`plain`: resolved by async-graphql.)
impl crate::plain::PlainFields for DataExport {}
