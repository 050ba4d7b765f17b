//! The `analyze_report` job: read the stored file, extract its text, find and flag lab values,
//! summarise, and store the result; the report moves PENDING -> PROCESSING -> COMPLETED, or
//! FAILED with a reason its owner can read.
//!
//! Each queued analysis carries an `analysisId` that the stored result records, so a job run
//! again after its worker died (lease expired after the result was written) changes nothing.

use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::{medical_reports, users};
use futures_util::future::BoxFuture;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{
    analytes::Sex,
    extract::{self, ExtractError, Extracted},
    labs::{self, Flag, PARSER_VERSION},
    summary,
};
use crate::{
    enums::{Gender, JobKind},
    jobs::{self, JobError},
    services::{AppServices, SharedServices},
    storage::StorageKey,
    uploads,
};

/// A PDF's text is read on a blocking thread; one that takes longer is given up.
const PDF_TIMEOUT: Duration = Duration::from_secs(120);

/// What the owner reads when every attempt failed for a reason on our side.
pub const RETRIES_EXHAUSTED: &str = "the analysis could not be completed; please try again later";

/// Queues an analysis of report `report_id`.
pub async fn enqueue(
    conn: &impl ConnectionTrait,
    services: &AppServices,
    report_id: i32,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let payload = json!({ "reportId": report_id, "analysisId": Uuid::new_v4() });
    jobs::enqueue(
        conn,
        JobKind::AnalyzeReport,
        payload,
        None,
        services.job_max_attempts,
        now,
    )
    .await
}

fn ids(payload: &Value) -> Result<(i32, String), JobError> {
    let report = payload["reportId"]
        .as_i64()
        .and_then(|id| i32::try_from(id).ok());
    let analysis = payload["analysisId"].as_str();
    match (report, analysis) {
        (Some(report), Some(analysis)) => Ok((report, analysis.to_owned())),
        _ => Err(JobError::Permanent("the job's payload is malformed".into())),
    }
}

/// The `analyze_report` job: reads one report's text and stores what it found.
pub struct AnalyzeReport;

impl crate::jobs::Job for AnalyzeReport {
    fn kind(&self) -> JobKind {
        JobKind::AnalyzeReport
    }
    fn run<'a>(&'a self, cx: crate::jobs::Context<'a>) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(run(cx.db, cx.services, &cx.job.payload))
    }
    fn record_failure<'a>(
        &'a self,
        cx: crate::jobs::Context<'a>,
        reason: Option<&'a str>,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<(), DbErr>> {
        let reason = reason.unwrap_or(RETRIES_EXHAUSTED);
        Box::pin(record_failure(cx.db, &cx.job.payload, reason, now))
    }
}

pub async fn run(
    db: &DatabaseConnection,
    services: &SharedServices,
    payload: &Value,
) -> Result<(), JobError> {
    let (id, analysis_id) = ids(payload)?;
    let Some(report) = medical_reports::Entity::find_by_id(id)
        .one(db)
        .await
        .map_err(JobError::retry)?
    else {
        return Ok(()); // deleted meanwhile
    };
    let done = report
        .analysis_result
        .as_ref()
        .is_some_and(|r| r["analysisId"] == analysis_id.as_str());
    if done {
        return Ok(());
    }
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE medical_reports SET analysis_status = 'processing' WHERE id = $1",
        [id.into()],
    ))
    .await
    .map_err(JobError::retry)?;

    let extracted = extract_text(services, &report).await?;
    let sex = owner_sex(db, report.user_id)
        .await
        .map_err(JobError::retry)?;
    let findings = labs::parse(&extracted.text, sex);
    let summary = summary::summarise(services.ai.as_deref(), &findings.values).await;
    let count = |flag: Flag| {
        findings
            .values
            .iter()
            .filter(|v| v.flag == Some(flag))
            .count()
    };
    let now = services.clock.now();
    let result = json!({
        "parserVersion": PARSER_VERSION,
        "analysisId": analysis_id,
        "analyzedAt": now,
        "extraction": {
            "method": extracted.method,
            "pages": extracted.pages,
            "characters": extracted.text.chars().count(),
        },
        "reportDate": findings.report_date,
        "analytes": findings.values,
        "counts": {
            "total": findings.values.len(),
            "low": count(Flag::Low),
            "normal": count(Flag::Normal),
            "high": count(Flag::High),
            "critical": count(Flag::Critical),
        },
        "insights": summary.record,
    });
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE medical_reports SET analysis_status = 'completed', analysis_result = $2, \
         ai_insights = $3, analysis_error = NULL, analyzed_at = $4 WHERE id = $1",
        [id.into(), result.into(), summary.text.into(), now.into()],
    ))
    .await
    .map_err(JobError::retry)?;
    Ok(())
}

async fn extract_text(
    services: &AppServices,
    report: &medical_reports::Model,
) -> Result<Extracted, JobError> {
    let key = StorageKey::parse(&report.file_path)
        .ok_or_else(|| JobError::Permanent("the stored file is missing".into()))?;
    let bytes = match services
        .storage
        .read_all(&key, services.uploads.report_max_bytes)
        .await
    {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Err(JobError::Permanent("the stored file is missing".into()));
        }
        Err(err) => return Err(JobError::retry(format!("storage: {err}"))),
    };
    let extracted = match report.mime_type.as_str() {
        uploads::PDF => {
            let reading = tokio::task::spawn_blocking(move || extract::pdf_text(&bytes));
            match tokio::time::timeout(PDF_TIMEOUT, reading).await {
                Ok(Ok(outcome)) => outcome,
                Ok(Err(_)) => Err(ExtractError::Unreadable(
                    "the PDF's text could not be read".into(),
                )),
                Err(_) => Err(ExtractError::Unreadable(
                    "the PDF took too long to read".into(),
                )),
            }
        }
        uploads::TEXT => Ok(extract::plain_text(&bytes)),
        uploads::CSV => Ok(extract::csv_text(&bytes)),
        uploads::PNG | uploads::JPEG | uploads::WEBP => {
            extract::ocr(&services.uploads.ocr_command, &bytes).await
        }
        _ => Err(ExtractError::Unreadable(
            "this type of file cannot be analysed".into(),
        )),
    };
    extracted.map_err(|err| match err {
        ExtractError::Unreadable(reason) => JobError::Permanent(reason),
        ExtractError::Transient(reason) => JobError::Retry(reason),
    })
}

async fn owner_sex(db: &DatabaseConnection, user_id: i32) -> Result<Sex, DbErr> {
    let user = users::Entity::find_by_id(user_id).one(db).await?;
    let gender = user
        .and_then(|u| u.gender)
        .and_then(|g| Gender::from_db(&g).ok());
    Ok(match gender {
        Some(Gender::Male) => Sex::Male,
        Some(Gender::Female) => Sex::Female,
        _ => Sex::Unknown,
    })
}

/// Marks the report FAILED with `reason`, which its owner reads.
pub async fn record_failure(
    db: &DatabaseConnection,
    payload: &Value,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let Ok((id, _)) = ids(payload) else {
        return Ok(());
    };
    let reason: String = reason.chars().take(300).collect();
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE medical_reports SET analysis_status = 'failed', analysis_error = $2, analyzed_at = $3 \
         WHERE id = $1",
        [id.into(), reason.into(), now.into()],
    ))
    .await?;
    Ok(())
}
