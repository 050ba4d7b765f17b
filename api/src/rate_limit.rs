//! Throttling counted in PostgreSQL (`rate_limit_events`), so every replica sees the same
//! counts. A bucket names what is limited (`otp:login:<hash of email>`, `sign-in:ip:<ip>`);
//! each rule allows `max` events per sliding `window`.

use chrono::{DateTime, Duration, Utc};
use entity::rate_limit_events;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, DbErr,
    EntityTrait, QueryFilter, Statement, TransactionSession, TransactionTrait,
};

use crate::error::AppError;

#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub max: u64,
    pub window: Duration,
}

impl Rule {
    pub const fn new(max: u64, window: Duration) -> Self {
        Self { max, window }
    }
}

/// RATE_LIMITED (with the seconds until the oldest counted event leaves the window) when any
/// rule's window is full.
pub async fn check(
    conn: &impl ConnectionTrait,
    bucket: &str,
    rules: &[Rule],
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    for rule in rules {
        let since = now - rule.window;
        let row = conn
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT count(*) AS n, min(created_at) AS oldest FROM rate_limit_events \
                 WHERE bucket = $1 AND created_at > $2",
                [bucket.into(), since.into()],
            ))
            .await?
            .ok_or_else(|| AppError::internal("count returned no row"))?;
        let count: i64 = row.try_get("", "n")?;
        if u64::try_from(count).unwrap_or(0) >= rule.max {
            let oldest: Option<DateTime<Utc>> = row.try_get("", "oldest")?;
            let free_at = oldest.unwrap_or(now) + rule.window;
            let seconds = (free_at - now).num_seconds().max(1);
            return Err(AppError::RateLimited {
                retry_after_seconds: u64::try_from(seconds).unwrap_or(1),
            });
        }
    }
    Ok(())
}

/// Counts one event, and forgets this bucket's events older than a day; returns the event id.
pub async fn record(
    conn: &impl ConnectionTrait,
    bucket: &str,
    now: DateTime<Utc>,
) -> Result<i64, DbErr> {
    let event = rate_limit_events::ActiveModel {
        bucket: Set(bucket.to_owned()),
        created_at: Set(now.into()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    rate_limit_events::Entity::delete_many()
        .filter(rate_limit_events::Column::Bucket.eq(bucket))
        .filter(rate_limit_events::Column::CreatedAt.lt(now - Duration::days(1)))
        .exec(conn)
        .await?;
    Ok(event.id)
}

/// Takes back counted events (an attempt that turned out to succeed).
pub async fn forget(conn: &impl ConnectionTrait, ids: &[i64]) -> Result<(), DbErr> {
    rate_limit_events::Entity::delete_many()
        .filter(rate_limit_events::Column::Id.is_in(ids.iter().copied()))
        .exec(conn)
        .await?;
    Ok(())
}

/// Checks and counts one event atomically: concurrent requests on any replica serialise on
/// the bucket, so a burst cannot slip past the limit. Returns the counted event's id.
pub async fn hit(
    db: &impl TransactionTrait,
    bucket: &str,
    rules: &[Rule],
    now: DateTime<Utc>,
) -> Result<i64, AppError> {
    let txn = db.begin().await?;
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        [bucket.into()],
    ))
    .await?;
    check(&txn, bucket, rules, now).await?;
    let id = record(&txn, bucket, now).await?;
    txn.commit().await?;
    Ok(id)
}
