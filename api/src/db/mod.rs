//! Database plumbing: creating the database, migrating it, and the connection pool.

use std::{sync::Arc, time::Duration};

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr, Statement};

pub mod stats;
pub mod url;

pub use self::stats::DbStats;
use self::stats::PING_WHEN_IDLE_FOR;
use crate::{config::Settings, read_pool::ReadPool};

/// Serialises migrations between replicas that start at the same time.
const MIGRATION_LOCK_KEY: i64 = 0x0065_6368_6f6d_6967; // "echomig"

/// The application's pool. Statement logging is off: parameters carry health data.
pub async fn connect(
    settings: &Settings,
    max_connections: u32,
) -> Result<DatabaseConnection, DbErr> {
    Database::connect(pool_options(
        &settings.database.database_url,
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
        .acquire_timeout(Duration::from_secs(
            settings.database.db_acquire_timeout_secs,
        ))
        .connect_timeout(Duration::from_secs(
            settings.database.db_acquire_timeout_secs,
        ))
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
