//! PostgreSQL: reachable, recent enough, migrated, and pooled how.

use sea_orm::sqlx::{self, Connection};

use super::check::{Check, MIN_POSTGRES, NETWORK_TIMEOUT, Status, check};
use crate::{
    config::Settings,
    preflight::{self, ConnectFailure, Migrations},
};

/// Connects and returns the server's version, or why not.
pub(super) async fn reachable(settings: &Settings, url: &str) -> Result<String, String> {
    let mut conn = preflight::connect(url, preflight::connect_timeout(settings))
        .await
        .map_err(ConnectFailure::explain)?;
    let version: String = sqlx::query_scalar("SHOW server_version")
        .fetch_one(&mut conn)
        .await
        .map_err(|err| err.to_string())?;
    conn.close().await.ok();
    Ok(version)
}

/// PostgreSQL at DATABASE_URL: reachable, recent enough, migrated, pooled how.
pub(super) async fn database(settings: &Settings) -> Vec<Check> {
    let url = settings.direct_database_url();
    let place = preflight::describe(url);
    let mut conn = match preflight::connect(url, preflight::connect_timeout(settings)).await {
        Ok(conn) => conn,
        Err(failure) => {
            let (status, why) = match failure {
                // Created at start-up when migrations are on.
                ConnectFailure::NoDatabase if !settings.database.skip_migrations => (
                    Status::Warn,
                    "the database does not exist yet; the server creates it at start".to_owned(),
                ),
                failure => (Status::Fail, failure.explain()),
            };
            return vec![
                check("postgresql", status, format!("{place}: {why}")),
                check("migrations", Status::Skip, "no database to read"),
                check("connection pooling", Status::Skip, "no database to read"),
            ];
        }
    };
    let mut checks = Vec::new();
    let version: Result<(i32, String), sqlx::Error> = async {
        let number: String = sqlx::query_scalar("SHOW server_version_num")
            .fetch_one(&mut conn)
            .await?;
        let text: String = sqlx::query_scalar("SHOW server_version")
            .fetch_one(&mut conn)
            .await?;
        Ok((number.parse().unwrap_or(0), text))
    }
    .await;
    checks.push(match version {
        Ok((number, text)) if number >= MIN_POSTGRES => check(
            "postgresql",
            Status::Ok,
            format!("{place}: PostgreSQL {text}"),
        ),
        Ok((_, text)) => check(
            "postgresql",
            Status::Fail,
            format!("{place}: PostgreSQL {text}; version 15 or newer is needed"),
        ),
        Err(err) => check("postgresql", Status::Fail, format!("{place}: {err}")),
    });
    checks.push(migrations(&mut conn, settings).await);
    conn.close().await.ok();
    checks.push(pooling(settings).await);
    checks
}

pub(super) async fn migrations(conn: &mut sqlx::PgConnection, settings: &Settings) -> Check {
    let migrations = match Migrations::read(conn).await {
        Ok(migrations) => migrations,
        Err(err) => return check("migrations", Status::Fail, err.to_string()),
    };
    let unknown = migrations.unknown();
    if !unknown.is_empty() {
        return check(
            "migrations",
            Status::Fail,
            format!(
                "migrated by a newer version ({}); run that version",
                unknown.join(", ")
            ),
        );
    }
    match (migrations.pending(), settings.database.skip_migrations) {
        (0, _) => check(
            "migrations",
            Status::Ok,
            format!("all {} applied", migrations.known.len()),
        ),
        (n, false) => check(
            "migrations",
            Status::Warn,
            format!("{n} pending; applied when the server starts"),
        ),
        (n, true) => check(
            "migrations",
            Status::Fail,
            format!("{n} pending and SKIP_MIGRATIONS is on; run `api migrate up`"),
        ),
    }
}

/// Whether DATABASE_URL goes through a transaction-pooling proxy (PgBouncer), checked on
/// DATABASE_URL's own connections (the other checks go to DATABASE_DIRECT_URL when it is set,
/// which is PostgreSQL itself). Two client connections each hold a transaction, end them in
/// one order and then in the other, and the first asks again which server session it is on:
/// on PostgreSQL (or a session pool) always its own; behind a transaction pool, whichever
/// session the pool hands out next, which in one of the two orders is the other's (a pool
/// reuses the last released session, or the first).
pub(super) async fn pooling(settings: &Settings) -> Check {
    let url = &settings.database.database_url;
    let timeout = preflight::connect_timeout(settings);
    let (mut a, mut b) = match (
        preflight::connect(url, timeout).await,
        preflight::connect(url, timeout).await,
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(failure), _) | (_, Err(failure)) => {
            let why = format!("{}: {}", preflight::describe(url), failure.explain());
            return check("connection pooling", Status::Fail, why);
        }
    };
    // A pool of one session would make the second transaction wait for the first.
    let seen = tokio::time::timeout(NETWORK_TIMEOUT, moved_sessions(&mut a, &mut b)).await;
    a.close().await.ok();
    b.close().await.ok();
    let pooled = match seen {
        Ok(Ok(pooled)) => pooled,
        Ok(Err(err)) => return check("connection pooling", Status::Warn, err.to_string()),
        Err(_) => {
            let why = "two connections could not hold a transaction each within 5 s (a pool of one session?)";
            return check("connection pooling", Status::Warn, why);
        }
    };
    match (pooled, settings.database.database_direct_url.is_some()) {
        (false, _) => check(
            "connection pooling",
            Status::Ok,
            "one server session per connection (no transaction pooling seen)",
        ),
        (true, true) => check(
            "connection pooling",
            Status::Ok,
            "transaction pooling (PgBouncer) seen; LISTEN uses DATABASE_DIRECT_URL",
        ),
        (true, false) => check(
            "connection pooling",
            Status::Fail,
            "transaction pooling (PgBouncer) seen: chat events and the session cache need LISTEN; set DATABASE_DIRECT_URL to PostgreSQL itself",
        ),
    }
}

/// Whether connection `a` found itself on another server session after transactions of `a`
/// and `b` ended, in either order. On PostgreSQL itself the answer is always no, so trying
/// again costs nothing in certainty; behind a pool, another client (the server's own workers)
/// can take the released session between two steps and hide the move once, so the pair of
/// orders is tried a few times before the answer is no.
pub(super) async fn moved_sessions(
    a: &mut sqlx::PgConnection,
    b: &mut sqlx::PgConnection,
) -> Result<bool, sqlx::Error> {
    const PID: &str = "SELECT pg_backend_pid()";
    const ROUNDS: usize = 8;
    for a_first in [true, false].into_iter().cycle().take(2 * ROUNDS) {
        let mut ta = a.begin().await?;
        let before: i32 = sqlx::query_scalar(PID).fetch_one(&mut *ta).await?;
        let mut tb = b.begin().await?;
        let _: i32 = sqlx::query_scalar(PID).fetch_one(&mut *tb).await?;
        if a_first {
            ta.commit().await?;
            tb.commit().await?;
        } else {
            tb.commit().await?;
            ta.commit().await?;
        }
        let after: i32 = sqlx::query_scalar(PID).fetch_one(&mut *a).await?;
        if after != before {
            return Ok(true);
        }
    }
    Ok(false)
}
