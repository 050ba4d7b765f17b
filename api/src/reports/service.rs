//! Stored reports: upload, read, change, archive, delete, reanalyse. Every function takes the
//! owner's id and never touches another user's rows (another user's id is NOT_FOUND).
//!
//! An upload is checked first (type by content, size, a PDF's structure), then written to
//! storage durably, then its row and analysis job are inserted in one transaction. If the
//! insert fails the file is deleted again; if the process dies between the two, the file has
//! no row and the sweeper (`reports::sweep`) removes it later.

use chrono::{DateTime, Utc};
use entity::medical_reports;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QuerySelect, TransactionTrait,
};

use super::analysis::{extract, job};
use crate::{
    enums::{AnalysisStatus, ReportType},
    error::AppError,
    services::AppServices,
    storage::{KeyKind, StorageKey},
    uploads::{self, Checked, Inspected, Upload},
};

pub const MAX_TITLE_CHARS: usize = 200;

/// Checks an uploaded report: type and size (`uploads::check`), and for a PDF that it loads
/// within its limits.
async fn check_report(upload: Upload, max_bytes: u64) -> Result<Checked, AppError> {
    let mut checked = uploads::check(upload, "file", uploads::REPORT_TYPES, max_bytes).await?;
    if checked.inspected.mime != uploads::PDF {
        return Ok(checked);
    }
    tokio::task::spawn_blocking(move || {
        use std::io::{Read, Seek};
        let mut bytes = Vec::new();
        checked
            .content
            .read_to_end(&mut bytes)
            .map_err(AppError::internal)?;
        checked.content.rewind().map_err(AppError::internal)?;
        extract::check_pdf(&bytes).map_err(|why| AppError::bad_input("file", why))?;
        Ok(checked)
    })
    .await
    .map_err(AppError::internal)?
}

pub fn clean_title(title: Option<String>) -> Result<Option<String>, AppError> {
    let Some(title) = title else {
        return Ok(None);
    };
    let title = title.trim();
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(AppError::bad_input(
            "title",
            format!("at most {MAX_TITLE_CHARS} characters"),
        ));
    }
    if crate::text::has_hidden(title) {
        return Err(AppError::bad_input(
            "title",
            "control and invisible formatting characters are not allowed",
        ));
    }
    Ok((!title.is_empty()).then(|| title.to_owned()))
}

pub async fn upload(
    db: &DatabaseConnection,
    services: &AppServices,
    user_id: i32,
    report_type: ReportType,
    title: Option<String>,
    upload: Upload,
) -> Result<medical_reports::Model, AppError> {
    let title = clean_title(title)?;
    let Checked {
        inspected,
        content,
        name: file_name,
    } = check_report(upload, services.uploads.report_max_bytes).await?;
    let key = StorageKey::new(KeyKind::Report, user_id);
    services
        .storage
        .put(&key, Box::new(content))
        .await
        .map_err(AppError::internal)?;
    let now = services.clock.now();
    match insert(
        db,
        services,
        user_id,
        report_type,
        title,
        file_name,
        &key,
        &inspected,
        now,
    )
    .await
    {
        Ok(row) => Ok(row),
        Err(err) => {
            if let Err(cleanup) = services.storage.delete(&key).await {
                tracing::error!(error = %cleanup, "could not remove the file of a failed upload; the sweeper will");
            }
            Err(err)
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn insert(
    db: &DatabaseConnection,
    services: &AppServices,
    user_id: i32,
    report_type: ReportType,
    title: Option<String>,
    file_name: String,
    key: &StorageKey,
    inspected: &Inspected,
    now: DateTime<Utc>,
) -> Result<medical_reports::Model, AppError> {
    let txn = db.begin().await?;
    let row = medical_reports::ActiveModel {
        user_id: Set(user_id),
        report_type: Set(report_type.as_db().to_owned()),
        title: Set(title),
        file_name: Set(file_name),
        file_path: Set(key.to_string()),
        file_size: Set(i32::try_from(inspected.size).map_err(AppError::internal)?),
        mime_type: Set(inspected.mime.to_owned()),
        content_sha256: Set(Some(inspected.sha256.clone())),
        upload_date: Set(now.into()),
        analysis_status: Set(AnalysisStatus::Pending.as_db().to_owned()),
        is_archived: Set(false),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    job::enqueue(&txn, services, row.id, now).await?;
    txn.commit().await?;
    Ok(row)
}

/// The owner's report; another user's id, or none, is NOT_FOUND.
pub async fn find_own(
    conn: &impl ConnectionTrait,
    user_id: i32,
    id: i32,
) -> Result<medical_reports::Model, AppError> {
    medical_reports::Entity::find_by_id(id)
        .filter(medical_reports::Column::UserId.eq(user_id))
        .one(conn)
        .await?
        .ok_or(AppError::NotFound)
}

/// Changes the title and/or type; an empty title clears it.
pub async fn update(
    db: &DatabaseConnection,
    user_id: i32,
    id: i32,
    title: Option<String>,
    report_type: Option<ReportType>,
) -> Result<medical_reports::Model, AppError> {
    let row = find_own(db, user_id, id).await?;
    let mut active: medical_reports::ActiveModel = row.into();
    if title.is_some() {
        active.title = Set(clean_title(title)?);
    }
    if let Some(report_type) = report_type {
        active.report_type = Set(report_type.as_db().to_owned());
    }
    Ok(active.update(db).await?)
}

pub async fn set_archived(
    db: &DatabaseConnection,
    user_id: i32,
    id: i32,
    archived: bool,
) -> Result<medical_reports::Model, AppError> {
    let row = find_own(db, user_id, id).await?;
    let mut active: medical_reports::ActiveModel = row.into();
    active.is_archived = Set(archived);
    Ok(active.update(db).await?)
}

/// Deletes the row, then the file (a file left behind by a failure here is swept later).
pub async fn delete(
    db: &DatabaseConnection,
    services: &AppServices,
    user_id: i32,
    id: i32,
) -> Result<(), AppError> {
    let row = find_own(db, user_id, id).await?;
    let deleted = medical_reports::Entity::delete_many()
        .filter(medical_reports::Column::Id.eq(row.id))
        .filter(medical_reports::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(AppError::NotFound);
    }
    if let Some(key) = StorageKey::parse(&row.file_path)
        && let Err(err) = services.storage.delete(&key).await
    {
        tracing::error!(report = id, error = %err, "could not delete a report's file; the sweeper will");
    }
    Ok(())
}

/// Queues the report's analysis again; CONFLICT while one is pending or running.
pub async fn reanalyze(
    db: &DatabaseConnection,
    services: &AppServices,
    user_id: i32,
    id: i32,
) -> Result<medical_reports::Model, AppError> {
    let txn = db.begin().await?;
    // The row lock makes two concurrent requests queue one analysis, not two.
    let row = medical_reports::Entity::find_by_id(id)
        .filter(medical_reports::Column::UserId.eq(user_id))
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let status = AnalysisStatus::from_db(&row.analysis_status)?;
    if matches!(status, AnalysisStatus::Pending | AnalysisStatus::Processing) {
        return Err(AppError::Conflict(
            "an analysis of this report is already queued or running".into(),
        ));
    }
    let mut active: medical_reports::ActiveModel = row.into();
    active.analysis_status = Set(AnalysisStatus::Pending.as_db().to_owned());
    active.analysis_error = Set(None);
    let row = active.update(&txn).await?;
    job::enqueue(&txn, services, id, services.clock.now()).await?;
    txn.commit().await?;
    Ok(row)
}
