//! The worker loop: claim, run, finish; sleep when there is nothing to do; stop when told.

use std::{sync::Arc, time::Duration as StdDuration};

use chrono::Duration;
use entity::jobs;
use sea_orm::DatabaseConnection;
use tokio::sync::watch;

use super::{
    claim, finish,
    handler::{Context, Registry},
};
use crate::{enums::JobStatus, error::error_chain, metrics::Metrics, services::SharedServices};

#[derive(Debug, Clone, Copy)]
pub struct RunnerConfig {
    pub poll_interval: StdDuration,
    pub lease: Duration,
    pub retry_base: Duration,
}

/// What running a job can end in.
pub enum JobError {
    /// Worth another attempt (provider down, slow or confused).
    Retry(String),
    /// Another attempt cannot help.
    Permanent(String),
}

impl JobError {
    /// A failure worth another attempt, described by `err`.
    pub fn retry(err: impl std::fmt::Display) -> Self {
        Self::Retry(err.to_string())
    }
}

pub struct JobRunner {
    db: DatabaseConnection,
    services: SharedServices,
    metrics: Arc<Metrics>,
    config: RunnerConfig,
    registry: Registry,
}

impl JobRunner {
    pub fn new(
        db: DatabaseConnection,
        services: SharedServices,
        metrics: Arc<Metrics>,
        config: RunnerConfig,
        registry: Registry,
    ) -> Self {
        Self {
            db,
            services,
            metrics,
            config,
            registry,
        }
    }

    /// Works until `shutdown` turns true; a job in hand is finished first.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        loop {
            if *shutdown.borrow() {
                return;
            }
            let now = self.services.clock.now();
            let claimed = claim(&self.db, now, self.config.lease).await;
            // Counted once the claim has taken effect: a job it took is already marked.
            self.services
                .job_polls
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            match claimed {
                Ok(Some(job)) => self.execute(job).await,
                Ok(None) => {
                    tokio::select! {
                        _ = tokio::time::sleep(self.config.poll_interval) => {}
                        _ = self.services.job_wake.notified() => {}
                        _ = shutdown.changed() => {}
                    }
                }
                Err(err) => {
                    tracing::error!(error = %error_chain(&err), "could not claim a job");
                    tokio::time::sleep(self.config.poll_interval).await;
                }
            }
        }
    }

    async fn execute(&self, job: jobs::Model) {
        let cx = Context {
            db: &self.db,
            services: &self.services,
            job: &job,
        };
        let handler = self.registry.get(&job.kind);
        let outcome = match handler {
            Some(handler) => handler.run(cx).await,
            None => Err(JobError::Permanent(format!(
                "unknown job kind {:?}",
                job.kind
            ))),
        };
        let now = self.services.clock.now();
        let result = match outcome {
            Ok(()) => {
                self.metrics.job_finished(&job.kind, "done");
                tracing::info!(job = job.id, kind = %job.kind, attempt = job.attempts, "job done");
                finish(&self.db, job.id, JobStatus::Done, None, None, now).await
            }
            Err(JobError::Retry(reason)) if job.attempts < job.max_attempts => {
                self.metrics.job_finished(&job.kind, "retry");
                let delay = self.config.retry_base
                    * 2_i32.saturating_pow(u32::try_from(job.attempts - 1).unwrap_or(0));
                tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempts, %reason, "job failed; will retry");
                finish(
                    &self.db,
                    job.id,
                    JobStatus::Queued,
                    Some(&reason),
                    Some(now + delay),
                    now,
                )
                .await
            }
            Err(error) => {
                self.metrics.job_finished(&job.kind, "failed");
                let (reason, user_reason) = match &error {
                    JobError::Permanent(reason) => (reason.as_str(), Some(reason.as_str())),
                    JobError::Retry(reason) => (reason.as_str(), None),
                };
                tracing::error!(job = job.id, kind = %job.kind, attempt = job.attempts, %reason, "job given up");
                if let Some(handler) = handler
                    && let Err(err) = handler.record_failure(cx, user_reason, now).await
                {
                    tracing::error!(job = job.id, error = %err, "could not record the failure");
                }
                finish(&self.db, job.id, JobStatus::Failed, Some(reason), None, now).await
            }
        };
        if let Err(err) = result {
            tracing::error!(job = job.id, error = %error_chain(&err), "could not finish a job");
        }
    }
}
