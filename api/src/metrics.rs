//! Prometheus metrics at `/metrics`: GraphQL requests and their latency by operation name,
//! errors by code, the database pool, the job queue and chat subscribers. One registry per
//! server; gauges that describe shared state (queue depth) are read when scraped.
//!
//! Operation names come from clients, so they are kept to `[A-Za-z0-9_]{1,64}` and at most
//! `MAX_OPERATIONS` distinct ones; anything else counts as `other` (unnamed: `anonymous`).

use std::{
    collections::HashSet,
    sync::{Mutex, PoisonError},
    time::Duration,
};

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

const MAX_OPERATIONS: usize = 200;

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    errors: IntCounterVec,
    pool: IntGaugeVec,
    jobs: IntGaugeVec,
    subscribers: IntGauge,
    statements: IntCounter,
    job_polls: IntCounter,
    jobs_finished: IntCounterVec,
    operations: Mutex<HashSet<String>>,
}

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new_custom(Some("echo".into()), None)?;
        let requests = IntCounterVec::new(
            Opts::new(
                "graphql_requests_total",
                "GraphQL requests by operation name",
            ),
            &["operation"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "graphql_request_duration_seconds",
                "GraphQL request latency by operation name",
            )
            .buckets(vec![
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
            ]),
            &["operation"],
        )?;
        let errors = IntCounterVec::new(
            Opts::new("graphql_errors_total", "GraphQL errors by extensions.code"),
            &["code"],
        )?;
        let pool = IntGaugeVec::new(
            Opts::new("db_pool_connections", "Request pool connections by state"),
            &["state"],
        )?;
        let jobs = IntGaugeVec::new(
            Opts::new("jobs", "Background jobs by status (queued, running)"),
            &["status"],
        )?;
        let subscribers = IntGauge::new("chat_subscribers", "Open chatEvents subscriptions")?;
        let statements = IntCounter::new(
            "db_statements_total",
            "SQL statements sent on the request pool (requests, jobs and sweeps)",
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(errors.clone()))?;
        registry.register(Box::new(pool.clone()))?;
        registry.register(Box::new(jobs.clone()))?;
        registry.register(Box::new(subscribers.clone()))?;
        let job_polls = IntCounter::new(
            "job_polls_total",
            "Times this process's job workers looked for due jobs",
        )?;
        registry.register(Box::new(statements.clone()))?;
        let jobs_finished = IntCounterVec::new(
            Opts::new(
                "jobs_finished_total",
                "Job runs this process ended, by kind and outcome (done, retry, failed)",
            ),
            &["kind", "outcome"],
        )?;
        registry.register(Box::new(job_polls.clone()))?;
        registry.register(Box::new(jobs_finished.clone()))?;
        Ok(Self {
            registry,
            requests,
            latency,
            errors,
            pool,
            jobs,
            subscribers,
            statements,
            job_polls,
            jobs_finished,
            operations: Mutex::new(HashSet::new()),
        })
    }

    fn label(&self, operation: Option<&str>) -> String {
        let Some(name) = operation else {
            return "anonymous".into();
        };
        let plain = (1..=64).contains(&name.len())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !plain {
            return "other".into();
        }
        let mut known = self
            .operations
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if known.contains(name) || known.len() < MAX_OPERATIONS {
            known.insert(name.to_owned());
            name.to_owned()
        } else {
            "other".into()
        }
    }

    /// Counts one job run of `kind` that ended in `outcome` (done, retry or failed).
    pub fn job_finished(&self, kind: &str, outcome: &str) {
        self.jobs_finished.with_label_values(&[kind, outcome]).inc();
    }

    /// Counts one GraphQL request and the codes of its errors.
    pub fn observe(&self, operation: Option<&str>, took: Duration, error_codes: &[&str]) {
        let label = self.label(operation);
        self.requests.with_label_values(&[label.as_str()]).inc();
        self.latency
            .with_label_values(&[label.as_str()])
            .observe(took.as_secs_f64());
        for code in error_codes {
            self.errors.with_label_values(&[*code]).inc();
        }
    }

    /// The text exposition, after refreshing the gauges with the given readings.
    pub fn render(
        &self,
        pool: (u32, usize),
        jobs: (i64, i64),
        subscribers: usize,
        statements: u64,
        job_polls: u64,
    ) -> Result<String, prometheus::Error> {
        // The pool and the workers count for themselves; the counters catch up to their readings.
        self.statements
            .inc_by(statements.saturating_sub(self.statements.get()));
        self.job_polls
            .inc_by(job_polls.saturating_sub(self.job_polls.get()));
        let (size, idle) = pool;
        let idle = i64::try_from(idle).unwrap_or(i64::MAX);
        self.pool.with_label_values(&["open"]).set(i64::from(size));
        self.pool.with_label_values(&["idle"]).set(idle);
        self.pool
            .with_label_values(&["in_use"])
            .set(i64::from(size) - idle);
        self.jobs.with_label_values(&["queued"]).set(jobs.0);
        self.jobs.with_label_values(&["running"]).set(jobs.1);
        self.subscribers
            .set(i64::try_from(subscribers).unwrap_or(i64::MAX));
        let mut out = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut out)?;
        String::from_utf8(out).map_err(|e| prometheus::Error::Msg(e.to_string()))
    }
}
