//! Background job workers and the reminder planner.

use clap::Args;

/// Background job workers and the reminder planner.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Background jobs")]
pub struct JobSettings {
    /// Background job workers in this process (0: run none; another replica does the work).
    #[arg(long, env = "JOB_WORKERS", default_value_t = 1, global = true)]
    pub job_workers: usize,

    /// Milliseconds an idle worker waits before looking for work again.
    #[arg(
        long,
        env = "JOB_POLL_INTERVAL_MS",
        default_value_t = 1000,
        global = true
    )]
    pub job_poll_interval_ms: u64,

    /// Seconds a worker holds a job; a job whose worker died is retried after this.
    #[arg(long, env = "JOB_LEASE_SECS", default_value_t = 300, global = true)]
    pub job_lease_secs: u64,

    /// First retry delay in seconds; it doubles with each attempt.
    #[arg(long, env = "JOB_RETRY_BASE_SECS", default_value_t = 30, global = true)]
    pub job_retry_base_secs: u64,

    /// Days a finished (done or failed) job is kept for inspection before it is deleted; 0
    /// keeps them forever. At least a day, so that unique keys outlive every retry window.
    #[arg(long, env = "JOB_RETENTION_DAYS", default_value_t = 30, global = true)]
    pub job_retention_days: u32,

    /// Attempts before a job is given up.
    #[arg(long, env = "JOB_MAX_ATTEMPTS", default_value_t = 5, global = true)]
    pub job_max_attempts: i32,

    /// Milliseconds between runs of the reminder planner, which queues each reminder's next
    /// occurrence (on replicas that run job workers).
    #[arg(
        long,
        env = "REMINDER_PLAN_INTERVAL_MS",
        default_value_t = 60_000,
        global = true
    )]
    pub reminder_plan_interval_ms: u64,

    /// Minutes a reminder may be late (after downtime) and still be sent; older ones are
    /// skipped, not sent in a flood.
    #[arg(
        long,
        env = "REMINDER_GRACE_MINUTES",
        default_value_t = 15,
        global = true
    )]
    pub reminder_grace_minutes: u32,
}
