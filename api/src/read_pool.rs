//! Where requests' reads run: connections kept checked out of sqlx's pool between statements.
//!
//! sqlx returns every connection to its pool with a ping (a `Sync` round trip that it cannot be
//! told to skip, in `PoolConnection::return_to_pool`), and SeaORM takes a connection for each
//! statement, so every read cost two round trips and two wake-ups of a PostgreSQL backend. A
//! [`ReadPool`] keeps a finished statement's connection in a list of its own instead, and
//! takes the next statement's from there (docs/benchmarks.md: the home screen 2 to 30 %
//! faster, 16 % fewer instructions).
//!
//! Its connections come from a pool of their own (each HTTP worker's second pool), not from
//! the pool SeaORM's statements and transactions take theirs from: a read never waits for
//! anything while it holds a connection, so keeping idle connections here can never starve a
//! transaction, and a transaction that reads through a `ReadPool` cannot wait on itself.
//!
//! A connection is kept only after its statement ran to the end. One whose statement failed,
//! or whose request was dropped mid-statement (its future cancelled), goes back to sqlx, whose
//! ping drains or closes it; one the server closed is replaced and the read repeated. One that
//! sat idle for `PING_WHEN_IDLE_FOR` is pinged before use (what sqlx does for its own idle
//! connections); one kept for `KEEP_AT_MOST` goes back to sqlx, so that sqlx's connection
//! lifetime still applies.

use std::{
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use async_trait::async_trait;
use sea_orm::{
    ConnAcquireErr, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult, QueryResult,
    RuntimeErr, Statement,
    sea_query::Values,
    sqlx::{self, Connection, PgPool, Postgres, pool::PoolConnection, postgres::PgRow},
};
use sea_query_sqlx::SqlxValues;
use tokio::sync::Semaphore;

use crate::db::stats::{DbStats, PING_WHEN_IDLE_FOR};

/// How long a connection stays out of sqlx's pool before it is handed back (and is checked
/// against sqlx's maximum lifetime, 30 minutes by default).
const KEEP_AT_MOST: Duration = Duration::from_secs(300);

/// The reads of a request: plain `SELECT`s on kept connections, everything else (writes, and
/// SeaORM's own statements through [`ReadPool::connection`]) on SeaORM's pool.
#[derive(Clone)]
pub struct ReadPool {
    db: DatabaseConnection,
    /// `None`: no pool of its own; reads go to `db` (the background state's, used outside
    /// the HTTP workers).
    kept: Option<Arc<Kept>>,
}

struct Kept {
    pool: PgPool,
    /// One per connection the pool may open. A read takes one before a connection: sqlx's
    /// own queue never hears of connections coming back to `idle`, so waiting there would
    /// wait for ever while they sat idle.
    turns: Semaphore,
    idle: Mutex<Vec<KeptConnection>>,
    stats: Arc<DbStats>,
}

struct KeptConnection {
    conn: PoolConnection<Postgres>,
    /// When it was taken from sqlx's pool.
    since: Instant,
    /// When its last statement finished.
    used: Instant,
}

impl ReadPool {
    /// Reads on connections taken from `reads` (a pool used by nothing else), counted in
    /// `stats`; other statements on `db`.
    pub fn new(db: DatabaseConnection, reads: PgPool, stats: Arc<DbStats>) -> Self {
        Self {
            db,
            kept: Some(Arc::new(Kept {
                turns: Semaphore::new(reads.options().get_max_connections() as usize),
                pool: reads,
                idle: Mutex::new(Vec::new()),
                stats,
            })),
        }
    }

    /// Every statement on `db`, as SeaORM runs them.
    pub fn unkept(db: DatabaseConnection) -> Self {
        Self { db, kept: None }
    }

    /// SeaORM's pool of the same database.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Connections open in the reads' own pool, and how many of them are idle, for
    /// `/metrics`.
    pub fn size_and_idle(&self) -> (u32, usize) {
        match &self.kept {
            Some(kept) => (kept.pool.size(), kept.pool.num_idle() + kept.idle_count()),
            None => (0, 0),
        }
    }
}

impl Kept {
    fn idle_count(&self) -> usize {
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// The statement's rows, on a kept connection if there is one. A kept connection that the
    /// server has closed since (a restart, an ended backend, a proxy's timeout) is replaced,
    /// with the others kept beside it, and the read tried once more on a new one: a `SELECT`
    /// is safe to repeat.
    async fn fetch_all(&self, stmt: &Statement) -> Result<Vec<PgRow>, DbErr> {
        // Held until the connection is back in `idle`, for the next read to take.
        let _turn = tokio::time::timeout(
            self.pool.options().get_acquire_timeout(),
            self.turns.acquire(),
        )
        .await
        .map_err(|_| DbErr::ConnectionAcquire(ConnAcquireErr::Timeout))?
        .map_err(|_| DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed))?;
        if let Some(mut kept) = self.take_kept().await {
            self.stats.count_statement();
            match sqlx_query(stmt).fetch_all(&mut *kept.conn).await {
                Ok(rows) => {
                    self.put_back(kept);
                    return Ok(rows);
                }
                Err(err) if connection_lost(&err) => {
                    kept.conn.close_on_drop();
                    self.forget_idle();
                }
                Err(err) => return Err(query_error(err)),
            }
        }
        let mut fresh = self.acquire().await?;
        self.stats.count_statement();
        let rows = sqlx_query(stmt)
            .fetch_all(&mut *fresh.conn)
            .await
            .map_err(query_error)?;
        self.put_back(fresh);
        Ok(rows)
    }

    /// The most recently used kept connection that still answers.
    async fn take_kept(&self) -> Option<KeptConnection> {
        loop {
            let mut kept = self
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop()?;
            if kept.used.elapsed() < PING_WHEN_IDLE_FOR {
                return Some(kept);
            }
            // Idle a while: the server or a proxy may have closed it meanwhile.
            if kept.conn.ping().await.is_ok() {
                return Some(kept);
            }
            kept.conn.close_on_drop();
        }
    }

    async fn acquire(&self) -> Result<KeptConnection, DbErr> {
        let conn = self.pool.acquire().await.map_err(acquire_error)?;
        let now = Instant::now();
        Ok(KeptConnection {
            conn,
            since: now,
            used: now,
        })
    }

    /// Keeps a connection whose statement finished, unless it is due back in sqlx's pool
    /// (dropping it returns it there).
    fn put_back(&self, mut kept: KeptConnection) {
        if kept.since.elapsed() < KEEP_AT_MOST {
            kept.used = Instant::now();
            self.idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(kept);
        }
    }

    /// Closes every kept connection (they are likely gone with the one that failed).
    fn forget_idle(&self) {
        let idle = std::mem::take(&mut *self.idle.lock().unwrap_or_else(PoisonError::into_inner));
        for mut kept in idle {
            kept.conn.close_on_drop();
        }
    }
}

/// Whether `err` says the connection is gone rather than that the statement failed:
/// I/O and protocol errors, and the server's "terminating connection" (SQLSTATE class 57P).
fn connection_lost(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_) | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| code.starts_with("57P")),
        _ => false,
    }
}

fn acquire_error(err: sqlx::Error) -> DbErr {
    match err {
        sqlx::Error::PoolTimedOut => DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
        sqlx::Error::PoolClosed => DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed),
        err => DbErr::Conn(RuntimeErr::SqlxError(err.into())),
    }
}

fn query_error(err: sqlx::Error) -> DbErr {
    DbErr::Query(RuntimeErr::SqlxError(err.into()))
}

/// The statement as sqlx runs it (prepared once per connection, as SeaORM runs it).
fn sqlx_query(stmt: &Statement) -> sqlx::query::Query<'_, Postgres, SqlxValues> {
    let values = stmt.values.clone().unwrap_or(Values(Vec::new()));
    sqlx::query_with(sqlx::AssertSqlSafe(stmt.sql.as_str()), SqlxValues(values))
}

#[async_trait]
impl ConnectionTrait for ReadPool {
    fn get_database_backend(&self) -> DbBackend {
        DbBackend::Postgres
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.db.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.db.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        match &self.kept {
            // The statements read this way return a row or none; `fetch_all` keeps one path.
            Some(kept) => Ok(kept
                .fetch_all(&stmt)
                .await?
                .into_iter()
                .next()
                .map(QueryResult::from)),
            None => self.db.query_one_raw(stmt).await,
        }
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match &self.kept {
            Some(kept) => Ok(kept
                .fetch_all(&stmt)
                .await?
                .into_iter()
                .map(QueryResult::from)
                .collect()),
            None => self.db.query_all_raw(stmt).await,
        }
    }
}
