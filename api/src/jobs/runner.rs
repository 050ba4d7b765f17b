//! The worker loop: claim, run, finish; sleep when there is nothing to do; stop when told.

use std::{sync::Arc, time::Duration as StdDuration};

use chrono::Duration;
use entity::jobs;
use sea_orm::DatabaseConnection;
use tokio::sync::watch;

use super::{claim, finish};
use crate::{
    assessments::enrich,
    enums::{JobKind, JobStatus},
    error::error_chain,
    export::job as export_job,
    mail::job as mail_job,
    metrics::Metrics,
    reminders::job as reminder_job,
    reports::analysis::job as report_job,
    services::SharedServices,
};

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
}

impl JobRunner {
    pub fn new(
        db: DatabaseConnection,
        services: SharedServices,
        metrics: Arc<Metrics>,
        config: RunnerConfig,
    ) -> Self {
        Self {
            db,
            services,
            metrics,
            config,
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

    /// Records, where the user sees it, that a job was given up. `user_reason` is safe to show
    /// (a `Permanent` reason is written for the user; a technical one never is).
    async fn record_failure(
        &self,
        job: &jobs::Model,
        user_reason: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), sea_orm::DbErr> {
        match JobKind::from_db(&job.kind) {
            Ok(JobKind::EnrichAssessment) => {
                enrich::record_failure(&self.db, &job.payload, now).await
            }
            Ok(JobKind::AnalyzeReport) => {
                report_job::record_failure(&self.db, &job.payload, user_reason, now).await
            }
            Ok(JobKind::ExportData) => {
                export_job::record_failure(&self.db, &job.payload, now).await
            }
            Ok(JobKind::SendMail) => mail_job::record_failure(&self.db, job.id).await,
            // Nothing to tell the user: a reminder that could not go is simply not sent.
            Ok(JobKind::SendReminder) => Ok(()),
            Err(_) => Ok(()),
        }
    }

    async fn execute(&self, job: jobs::Model) {
        let outcome = match JobKind::from_db(&job.kind) {
            Ok(JobKind::EnrichAssessment) => {
                enrich::run(&self.db, &self.services, &job.payload).await
            }
            Ok(JobKind::AnalyzeReport) => {
                report_job::run(&self.db, &self.services, &job.payload).await
            }
            Ok(JobKind::ExportData) => {
                export_job::run(&self.db, &self.services, &job.payload).await
            }
            Ok(JobKind::SendMail) => {
                mail_job::run(&self.db, &self.services, job.id, &job.payload).await
            }
            Ok(JobKind::SendReminder) => {
                reminder_job::run(&self.db, &self.services, &job.payload).await
            }
            Err(err) => Err(JobError::Permanent(err.to_string())),
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
                    JobError::Permanent(reason) => (reason.as_str(), reason.as_str()),
                    JobError::Retry(reason) => (reason.as_str(), report_job::RETRIES_EXHAUSTED),
                };
                tracing::error!(job = job.id, kind = %job.kind, attempt = job.attempts, %reason, "job given up");
                if let Err(err) = self.record_failure(&job, user_reason, now).await {
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
