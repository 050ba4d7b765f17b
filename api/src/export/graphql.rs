//! `exportMyData`: asks for an export (listed in `me.dataExports`).

use async_graphql::{Context, Object, SimpleObject};

use super::{service, types::DataExport};
use crate::{
    context::{client, db, services, viewer},
    error::AppError,
};

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
