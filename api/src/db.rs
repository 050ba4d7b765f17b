//! Database plumbing: creating the database, migrating it, and the connection pool.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr, Statement};

use crate::{config::Settings, read_pool::ReadPool};

/// Serialises migrations between replicas that start at the same time.
const MIGRATION_LOCK_KEY: i64 = 0x0065_6368_6f6d_6967; // "echomig"

/// SQL statements sent while answering requests (background jobs are not counted); tests
/// and `/metrics` read it.
#[derive(Debug, Default)]
pub struct DbStats {
    statements: AtomicU64,
}

impl DbStats {
    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// Counts a statement sent outside SeaORM (`read_pool`).
    pub fn count_statement(&self) {
        self.statements.fetch_add(1, Ordering::Relaxed);
    }
}

/// A pooled connection idle this long is pinged before it is handed out, so one the server or
/// a proxy dropped meanwhile is replaced. Busy connections are not pinged: a ping on every
/// checkout (sqlx's default) is one more round trip per statement.
pub const PING_WHEN_IDLE_FOR: Duration = Duration::from_secs(30);

/// The application's pool. Statement logging is off: parameters carry health data.
pub async fn connect(
    settings: &Settings,
    max_connections: u32,
) -> Result<DatabaseConnection, DbErr> {
    Database::connect(pool_options(
        &settings.database_url,
        settings,
        max_connections,
    ))
    .await
}

/// A pool that opens its connections when they are first needed, on the runtime that needs
/// them. Each HTTP worker runs its own single-threaded runtime and gets a pool of its own
/// this way: its connections' sockets are polled by the thread that uses them, so answering
/// a request never waits for, or wakes, another thread.
pub async fn connect_lazy(
    url: &str,
    settings: &Settings,
    max_connections: u32,
) -> Result<DatabaseConnection, DbErr> {
    let mut options = pool_options(url, settings, max_connections);
    options.connect_lazy(true);
    Database::connect(options).await
}

fn pool_options(url: &str, settings: &Settings, max_connections: u32) -> ConnectOptions {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(settings.db_acquire_timeout_secs))
        .connect_timeout(Duration::from_secs(settings.db_acquire_timeout_secs))
        .test_before_acquire_if_idle_for(PING_WHEN_IDLE_FOR)
        .sqlx_logging(false);
    options
}

/// A worker's share of `DB_POOL_SIZE` split into (the pool for writes and SeaORM's
/// statements, the pool for plain reads): reads get the larger half, each at least one.
pub fn split_worker_pool(share: u32) -> (u32, u32) {
    let reads = share.div_ceil(2).max(1);
    (share.saturating_sub(reads).max(1), reads)
}

/// One HTTP worker's pools of the database at `url`, from its `share` of `DB_POOL_SIZE`
/// (`split_worker_pool`), both opened lazily and counted in `stats`: SeaORM's, for writes and
/// everything but plain reads (`ReadPool::connection`), and the reads' own (`read_pool`).
pub async fn worker_pools(
    url: &str,
    settings: &Settings,
    share: u32,
    stats: &Arc<DbStats>,
) -> Result<ReadPool, DbErr> {
    let (writes, reads) = split_worker_pool(share);
    let db = counted(connect_lazy(url, settings, writes).await?, stats.clone());
    let reads = connect_lazy(url, settings, reads).await?;
    Ok(ReadPool::new(
        db,
        reads.get_postgres_connection_pool().clone(),
        stats.clone(),
    ))
}

/// The pool with its statements counted in `stats`.
pub fn counted(mut db: DatabaseConnection, stats: Arc<DbStats>) -> DatabaseConnection {
    db.set_metric_callback(move |_info| {
        stats.count_statement();
    });
    db
}

/// One connection, for commands and migrations that must run in a single session.
pub async fn connect_single(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(1)
        .min_connections(1)
        .sqlx_logging(false);
    Database::connect(options).await
}

/// Creates the database named in `url` when it does not exist yet (waiting up to 30 s for
/// the server, as a pool would); the error says what was tried and what to do
/// (`preflight::open_or_create`).
pub async fn ensure_database_exists(url: &str) -> Result<(), DbErr> {
    let conn = crate::preflight::open_or_create(url, Duration::from_secs(30))
        .await
        .map_err(|problem| DbErr::Custom(problem.to_string()))?;
    sea_orm::sqlx::Connection::close(conn).await.ok();
    Ok(())
}

/// Applies pending migrations under an advisory lock, so concurrent starts do not collide.
pub async fn migrate_up(url: &str) -> Result<(), DbErr> {
    let conn = connect_single(url).await?;
    let lock = |sql: &'static str| {
        Statement::from_sql_and_values(
            conn.get_database_backend(),
            sql,
            [MIGRATION_LOCK_KEY.into()],
        )
    };
    conn.execute_raw(lock("SELECT pg_advisory_lock($1)"))
        .await?;
    let result = Migrator::up(&conn, None).await;
    conn.execute_raw(lock("SELECT pg_advisory_unlock($1)"))
        .await?;
    conn.close().await?;
    result
}

/// Splits `postgres://.../name` into the maintenance-database URL and `name`.
pub fn split_database_url(url: &str) -> Result<(String, String), DbErr> {
    let mut parsed = url::Url::parse(url)
        .map_err(|err| DbErr::Custom(format!("invalid DATABASE_URL: {err}")))?;
    let name = parsed.path().trim_start_matches('/').to_owned();
    if name.is_empty() {
        return Err(DbErr::Custom("DATABASE_URL names no database".into()));
    }
    parsed.set_path("/postgres");
    Ok((parsed.to_string(), name))
}

/// Quotes an SQL identifier (database names cannot be bound as parameters).
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_workers_share_splits_with_reads_the_larger_half_and_never_an_empty_pool() {
        for (share, split) in [
            (1, (1, 1)),
            (2, (1, 1)),
            (3, (1, 2)),
            (5, (2, 3)),
            (10, (5, 5)),
        ] {
            assert_eq!(super::split_worker_pool(share), split, "share {share}");
        }
    }
}
