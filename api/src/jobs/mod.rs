//! Durable background jobs in PostgreSQL (`jobs`), safe across restarts and replicas.
//!
//! A worker claims the oldest due job with `FOR UPDATE SKIP LOCKED` and holds it for a lease
//! (`locked_until`). Success marks it done; a failure schedules a retry with doubling delay
//! until `max_attempts`, then the job is failed and its handler records the failure where the
//! user sees it. A job whose worker died mid-way is claimed again once the lease has run out,
//! so handlers are written to be idempotent: running one twice changes nothing the second time.

mod handler;
mod runner;

use chrono::{DateTime, Duration, Utc};
use entity::jobs;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbBackend, DbErr, FromQueryResult,
    Statement,
};

pub use handler::{Context, Job, Registry};
pub use runner::{JobError, JobRunner, RunnerConfig};

use crate::enums::{JobKind, JobStatus};

/// Queues a job due now; a `dedupe_key` already queued or done is not queued twice.
pub async fn enqueue(
    conn: &impl ConnectionTrait,
    kind: JobKind,
    payload: serde_json::Value,
    dedupe_key: Option<String>,
    max_attempts: i32,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    enqueue_at(conn, kind, payload, dedupe_key, max_attempts, now, now).await
}

/// Queues a job due at `run_at` (as [`enqueue`]).
pub async fn enqueue_at(
    conn: &impl ConnectionTrait,
    kind: JobKind,
    payload: serde_json::Value,
    dedupe_key: Option<String>,
    max_attempts: i32,
    run_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let job = jobs::ActiveModel {
        kind: Set(kind.as_db().to_owned()),
        payload: Set(payload),
        dedupe_key: Set(dedupe_key),
        status: Set(JobStatus::Queued.as_db().to_owned()),
        max_attempts: Set(max_attempts),
        run_at: Set(run_at.into()),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
        ..Default::default()
    };
    match job.insert(conn).await {
        Ok(_) => Ok(()),
        Err(err)
            if matches!(
                err.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) =>
        {
            Ok(())
        }
        Err(err) => Err(err),
    }
}

/// Claims the oldest due job (queued and due, or running with an expired lease).
pub async fn claim(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    lease: Duration,
) -> Result<Option<jobs::Model>, DbErr> {
    let statement = Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_until = $2, updated_at = $1 \
         WHERE id = (SELECT id FROM jobs \
                     WHERE (status = 'queued' AND run_at <= $1) OR (status = 'running' AND locked_until < $1) \
                     ORDER BY run_at, id FOR UPDATE SKIP LOCKED LIMIT 1) \
         RETURNING *",
        [now.into(), (now + lease).into()],
    );
    jobs::Model::find_by_statement(statement).one(conn).await
}

/// Deletes jobs that finished (done or failed) before `before`; returns how many.
pub async fn delete_finished_before(
    conn: &impl ConnectionTrait,
    before: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let result = conn
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "DELETE FROM jobs WHERE status IN ('done', 'failed') AND updated_at < $1",
            [before.into()],
        ))
        .await?;
    Ok(result.rows_affected())
}

/// Deletes finished jobs older than `keep` every hour until `shutdown` (runs on replicas with
/// job workers; deleting twice is harmless).
pub fn spawn_retention(
    db: sea_orm::DatabaseConnection,
    services: crate::services::SharedServices,
    keep: Duration,
    shutdown: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    every(std::time::Duration::from_secs(3600), shutdown, move || {
        let (db, services) = (db.clone(), services.clone());
        async move {
            let before = services.clock.now() - keep;
            match delete_finished_before(&db, before).await {
                Ok(0) => {}
                Ok(deleted) => tracing::info!(deleted, "finished jobs deleted"),
                Err(err) => tracing::error!(error = %err, "could not delete finished jobs"),
            }
        }
    })
}

/// Runs `work` now and then every `interval`, until `shutdown` turns true.
pub fn every<F, Fut>(
    interval: std::time::Duration,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
    mut work: F,
) -> tokio::task::JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        loop {
            work().await;
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = shutdown.changed() => return,
            }
        }
    })
}

/// Ends a job this worker holds: done, retried at `retry_at`, or failed for good.
pub async fn finish(
    conn: &impl ConnectionTrait,
    id: i64,
    status: JobStatus,
    error: Option<&str>,
    retry_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    conn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE jobs SET status = $2, last_error = $3, run_at = coalesce($4, run_at), locked_until = NULL, updated_at = $5 \
         WHERE id = $1 AND status = 'running'",
        [id.into(), status.as_db().into(), error.map(str::to_owned).into(), retry_at.into(), now.into()],
    ))
    .await?;
    Ok(())
}
