//! What a kind of job is. Each domain implements [`Job`] next to its own code (for example
//! `reports::analysis::job::AnalyzeReport`); `startup` registers them all in a [`Registry`],
//! which refuses to start without exactly one job per `JobKind`. The runner knows no domain.

use std::{collections::HashMap, sync::Arc};

use chrono::{DateTime, Utc};
use entity::jobs;
use futures_util::future::BoxFuture;
use sea_orm::{DatabaseConnection, DbErr};

use super::JobError;
use crate::{enums::JobKind, services::SharedServices};

/// What a job runs with: the database, the services and its own row (payload, attempts).
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub db: &'a DatabaseConnection,
    pub services: &'a SharedServices,
    pub job: &'a jobs::Model,
}

/// One kind of background job.
pub trait Job: Send + Sync {
    fn kind(&self) -> JobKind;

    /// Does the work once. Must be idempotent: a job whose worker died is run again.
    fn run<'a>(&'a self, cx: Context<'a>) -> BoxFuture<'a, Result<(), JobError>>;

    /// Records, where the user sees it, that the job was given up. `reason` is the
    /// `Permanent` reason, written for the user; None when retries ran out (the technical
    /// reason is never shown). Nothing by default.
    fn record_failure<'a>(
        &'a self,
        cx: Context<'a>,
        reason: Option<&'a str>,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<(), DbErr>> {
        let _ = (cx, reason, now);
        Box::pin(async { Ok(()) })
    }
}

/// Declares a job whose work and failure record read only its payload, the shape most jobs
/// have: `run(db, services, payload)` and, when the user must see that it was given up,
/// `record_failure(db, payload, now)`, both async functions of its domain.
#[macro_export]
macro_rules! payload_job {
    (
        $(#[$meta:meta])*
        $name:ident: $kind:expr, run: $run:path $(, record_failure: $record:path)? $(,)?
    ) => {
        $(#[$meta])*
        pub struct $name;

        impl $crate::jobs::Job for $name {
            fn kind(&self) -> $crate::enums::JobKind {
                $kind
            }
            fn run<'a>(
                &'a self,
                cx: $crate::jobs::Context<'a>,
            ) -> ::futures_util::future::BoxFuture<'a, Result<(), $crate::jobs::JobError>> {
                Box::pin($run(cx.db, cx.services, &cx.job.payload))
            }
            $(
                fn record_failure<'a>(
                    &'a self,
                    cx: $crate::jobs::Context<'a>,
                    _reason: Option<&'a str>,
                    now: ::chrono::DateTime<::chrono::Utc>,
                ) -> ::futures_util::future::BoxFuture<'a, Result<(), ::sea_orm::DbErr>> {
                    Box::pin($record(cx.db, &cx.job.payload, now))
                }
            )?
        }
    };
}

/// The job of every kind.
#[derive(Clone)]
pub struct Registry {
    jobs: HashMap<&'static str, Arc<dyn Job>>,
}

impl Registry {
    /// A registry of `jobs`; an error names a kind with no job or with two.
    pub fn new(jobs: Vec<Arc<dyn Job>>) -> Result<Self, String> {
        let mut by_kind = HashMap::new();
        for job in jobs {
            let kind = job.kind().as_db();
            if by_kind.insert(kind, job).is_some() {
                return Err(format!("two jobs are registered for the kind `{kind}`"));
            }
        }
        if let Some(missing) = JobKind::ALL
            .iter()
            .find(|k| !by_kind.contains_key(k.as_db()))
        {
            return Err(format!(
                "no job is registered for the kind `{}`",
                missing.as_db()
            ));
        }
        Ok(Self { jobs: by_kind })
    }

    /// The job of a stored kind (none for a kind this version does not know).
    pub fn get(&self, kind: &str) -> Option<&dyn Job> {
        self.jobs.get(kind).map(|job| &**job)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Dummy(JobKind);

    impl Job for Dummy {
        fn kind(&self) -> JobKind {
            self.0
        }
        fn run<'a>(&'a self, _: Context<'a>) -> BoxFuture<'a, Result<(), JobError>> {
            Box::pin(async { Ok(()) })
        }
    }

    fn dummies(kinds: &[JobKind]) -> Vec<Arc<dyn Job>> {
        kinds
            .iter()
            .map(|k| Arc::new(Dummy(*k)) as Arc<dyn Job>)
            .collect()
    }

    #[test]
    fn every_kind_needs_exactly_one_job() {
        assert!(Registry::new(dummies(JobKind::ALL)).is_ok());
        let missing = Registry::new(dummies(&JobKind::ALL[1..]))
            .err()
            .unwrap_or_default();
        assert!(missing.contains(JobKind::ALL[0].as_db()), "{missing}");
        let mut twice = JobKind::ALL.to_vec();
        twice.push(JobKind::ALL[0]);
        let doubled = Registry::new(dummies(&twice)).err().unwrap_or_default();
        assert!(doubled.contains("two jobs"), "{doubled}");
    }
}
