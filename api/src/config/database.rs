//! PostgreSQL: the primary, a read replica, a direct connection, and the pools.

use clap::Args;

pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/echo_health";

/// PostgreSQL: the primary, a read replica, a direct connection, and the pools.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Database")]
pub struct DatabaseSettings {
    /// PostgreSQL connection URL; the database is created at start when it is missing.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,

    /// A read replica: queries of signed-out callers and of users who have not written lately
    /// are served from it; mutations, sign-in checks and staff requests use the primary
    /// (docs/scaling.md). Unset: everything uses DATABASE_URL.
    #[arg(long, env = "DATABASE_READ_URL", global = true)]
    pub database_read_url: Option<String>,

    /// After a mutation, a session reads from the primary for this many seconds, so it sees its
    /// own writes however far the replica lags.
    #[arg(
        long,
        env = "READ_AFTER_WRITE_SECS",
        default_value_t = 10,
        global = true
    )]
    pub read_after_write_secs: u64,

    /// A direct connection (not through a transaction pooler such as PgBouncer) for what needs
    /// a session of its own: migrations (an advisory lock) and LISTEN. Unset: DATABASE_URL.
    #[arg(long, env = "DATABASE_DIRECT_URL", global = true)]
    pub database_direct_url: Option<String>,

    /// Maximum number of pooled database connections for requests, shared out among the HTTP
    /// workers (each polls its own) and split in each between plain reads (`read_pool`) and
    /// the rest (`db::split_worker_pool`).
    #[arg(long, env = "DB_POOL_SIZE", default_value_t = 10, global = true)]
    pub db_pool_size: u32,

    /// Seconds to wait for a pooled connection before the request fails.
    #[arg(
        long,
        env = "DB_ACQUIRE_TIMEOUT_SECS",
        default_value_t = 5,
        global = true
    )]
    pub db_acquire_timeout_secs: u64,

    /// Seconds a start-up check waits for a database that does not answer (a refused
    /// connection fails at once).
    #[arg(
        long,
        env = "DB_CONNECT_TIMEOUT_SECS",
        default_value_t = 5,
        global = true
    )]
    pub db_connect_timeout_secs: u64,

    /// Do not create the database or apply pending migrations when serving.
    #[arg(long, env = "SKIP_MIGRATIONS", global = true)]
    pub skip_migrations: bool,
}
