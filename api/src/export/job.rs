//! The `export_data` job: build the archive, store it, and mark the export READY with its
//! expiry. Running it again after a crash changes nothing: only a PENDING export is built, and
//! an archive stored by a run that then lost the race is deleted again.

use chrono::{DateTime, Utc};
use entity::data_exports;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, Statement};
use serde_json::Value;

use super::{archive, service::LINK_LIFETIME};
use crate::{
    enums::{DataExportStatus, JobKind},
    jobs::JobError,
    services::SharedServices,
    storage::{KeyKind, StorageKey},
};

/// What the owner reads when the archive could not be built.
const FAILED: &str = "the archive could not be built; please ask for a new one";

fn export_id(payload: &Value) -> Result<i32, JobError> {
    payload["exportId"]
        .as_i64()
        .and_then(|id| i32::try_from(id).ok())
        .ok_or_else(|| JobError::Permanent("the job's payload is malformed".into()))
}

crate::payload_job! {
    /// The `export_data` job: builds one export archive.
    ExportData: JobKind::ExportData,
    run: build_archive,
    record_failure: mark_failed,
}

/// Builds the archive of a pending export, stores it and marks the export READY.
pub async fn build_archive(
    db: &DatabaseConnection,
    services: &SharedServices,
    payload: &Value,
) -> Result<(), JobError> {
    let id = export_id(payload)?;
    let Some(export) = data_exports::Entity::find_by_id(id)
        .one(db)
        .await
        .map_err(JobError::retry)?
    else {
        return Ok(()); // the account was deleted meanwhile
    };
    if export.status != DataExportStatus::Pending.as_db() {
        return Ok(());
    }
    let now = services.clock.now();
    let (file, size) = archive::build(db, &services.storage, export.user_id, now)
        .await
        .map_err(JobError::retry)?;
    let key = StorageKey::new(KeyKind::Export, export.user_id);
    services
        .storage
        .put(&key, Box::new(file))
        .await
        .map_err(JobError::retry)?;
    let now = services.clock.now();
    let updated = db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE data_exports SET status = 'ready', file_path = $2, file_size = $3, \
             completed_at = $4, expires_at = $5 WHERE id = $1 AND status = 'pending'",
            [
                id.into(),
                key.to_string().into(),
                i64::try_from(size).unwrap_or(i64::MAX).into(),
                now.into(),
                (now + LINK_LIFETIME).into(),
            ],
        ))
        .await;
    match updated {
        Ok(result) if result.rows_affected() == 1 => Ok(()),
        other => {
            // Nobody will refer to this archive; remove it now rather than leave it to the sweeper.
            if let Err(err) = services.storage.delete(&key).await {
                tracing::warn!(error = %err, "could not delete an unused export archive");
            }
            other.map(|_| ()).map_err(JobError::retry)
        }
    }
}

/// Marks the export FAILED with a reason its owner reads.
pub async fn mark_failed(
    db: &DatabaseConnection,
    payload: &Value,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let Ok(id) = export_id(payload) else {
        return Ok(());
    };
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE data_exports SET status = 'failed', error = $2, completed_at = $3 \
         WHERE id = $1 AND status = 'pending'",
        [id.into(), FAILED.into(), now.into()],
    ))
    .await?;
    Ok(())
}
