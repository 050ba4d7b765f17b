//! Requesting an export and claiming its one download.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use entity::data_exports;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, TransactionTrait, sea_query::Expr,
};
use serde_json::json;

use crate::{
    auth::audit::{self, AuditEvent},
    enums::{AuditEventType, DataExportStatus, JobKind},
    error::AppError,
    jobs,
};

/// How long a finished archive can be downloaded.
pub const LINK_LIFETIME: Duration = Duration::hours(24);
/// Exports a user may ask for in a day: each one reads everything they have.
pub const EXPORTS_PER_DAY: u64 = 5;

/// The status a client sees: a ready archive past its expiry is EXPIRED even before the
/// sweeper has removed it.
pub fn status(row: &data_exports::Model, now: DateTime<Utc>) -> Result<DataExportStatus, AppError> {
    let status = DataExportStatus::from_db(&row.status)?;
    Ok(match (status, row.expires_at) {
        (DataExportStatus::Ready, Some(at)) if at <= now => DataExportStatus::Expired,
        _ => status,
    })
}

/// Queues an export of everything `user_id` has. One at a time (CONFLICT while one is being
/// built) and at most [`EXPORTS_PER_DAY`] a day (RATE_LIMITED).
pub async fn request_export(
    conn: &DatabaseConnection,
    user_id: i32,
    ip: Option<IpAddr>,
    now: DateTime<Utc>,
) -> Result<data_exports::Model, AppError> {
    let recent = data_exports::Entity::find()
        .filter(data_exports::Column::UserId.eq(user_id))
        .filter(data_exports::Column::CreatedAt.gt(now - Duration::days(1)))
        .count(conn)
        .await?;
    if recent >= EXPORTS_PER_DAY {
        return Err(AppError::RateLimited {
            retry_after_seconds: 3600,
        });
    }
    let txn = conn.begin().await?;
    let row = data_exports::ActiveModel {
        user_id: Set(user_id),
        status: Set(DataExportStatus::Pending.as_db().to_owned()),
        created_at: Set(now.into()),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|err| match AppError::from(err) {
        AppError::Conflict(_) => {
            AppError::Conflict("an export is already being prepared; wait for it".into())
        }
        other => other,
    })?;
    jobs::enqueue(
        &txn,
        JobKind::ExportData,
        json!({ "exportId": row.id }),
        Some(format!("export_data:{}", row.id)),
        3,
        now,
    )
    .await?;
    let event = AuditEvent::own(AuditEventType::DataExportRequested, user_id, ip)
        .with_details(json!({ "export_id": row.id }));
    audit::record(&txn, event, now).await?;
    txn.commit().await?;
    Ok(row)
}

/// Takes the one download of a ready, unexpired export of `user_id`; `None` for anything else
/// (another user's export, already downloaded, expired, not ready). Recorded in the audit log.
pub async fn claim_download(
    conn: &DatabaseConnection,
    user_id: i32,
    export_id: i32,
    ip: Option<IpAddr>,
    now: DateTime<Utc>,
) -> Result<Option<data_exports::Model>, AppError> {
    let txn = conn.begin().await?;
    let claimed = data_exports::Entity::update_many()
        .col_expr(
            data_exports::Column::Status,
            Expr::value(DataExportStatus::Downloaded.as_db()),
        )
        .col_expr(data_exports::Column::DownloadedAt, Expr::value(Some(now)))
        .filter(data_exports::Column::Id.eq(export_id))
        .filter(data_exports::Column::UserId.eq(user_id))
        .filter(data_exports::Column::Status.eq(DataExportStatus::Ready.as_db()))
        .filter(data_exports::Column::ExpiresAt.gt(now))
        .filter(data_exports::Column::FilePath.is_not_null())
        .exec_with_returning(&txn)
        .await?
        .into_iter()
        .next();
    if let Some(row) = &claimed {
        let event = AuditEvent::own(AuditEventType::DataExportDownloaded, user_id, ip)
            .with_details(json!({ "export_id": row.id, "size_bytes": row.file_size }));
        audit::record(&txn, event, now).await?;
    }
    txn.commit().await?;
    Ok(claimed)
}
