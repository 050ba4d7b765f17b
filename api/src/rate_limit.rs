//! Throttling counted in PostgreSQL (`rate_limit_events`), so every replica sees the same
//! counts. A bucket names what is limited (`otp:login:<hash of email>`, `sign-in:ip:<ip>`);
//! each rule allows `max` events per sliding `window`.

use chrono::{DateTime, Duration, Utc};
use entity::rate_limit_events;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, Statement,
    TransactionSession, TransactionTrait, Value,
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

/// Takes one event of `bucket` in `conn`'s transaction: waits for the bucket's lock (so
/// concurrent takers count each other), then in one statement counts the events of each
/// rule's window and, when no rule is full, records the event and forgets the bucket's events
/// older than a day. RATE_LIMITED (with the seconds until the oldest counted event leaves the
/// window) when a rule is full; nothing is written then. Returns the event's id.
pub async fn hit_in(
    conn: &impl ConnectionTrait,
    bucket: &str,
    rules: &[Rule],
    now: DateTime<Utc>,
) -> Result<i64, AppError> {
    conn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        [bucket.into()],
    ))
    .await?;
    // $1 bucket, $2 now, $3 a day ago, $4 the start of the longest window; per rule: its
    // window's start and its maximum.
    let longest = rules.iter().map(|r| r.window).max().unwrap_or_default();
    let mut values: Vec<Value> = vec![
        bucket.into(),
        now.into(),
        (now - Duration::days(1)).into(),
        (now - longest).into(),
    ];
    let mut counts = String::new();
    let mut allowed = String::from("true");
    for (i, rule) in rules.iter().enumerate() {
        values.push((now - rule.window).into());
        values.push(i64::try_from(rule.max).unwrap_or(i64::MAX).into());
        let (since, max) = (values.len() - 1, values.len());
        counts.push_str(&format!(
            ", count(*) FILTER (WHERE created_at > ${since}) AS n{i}, \
             min(created_at) FILTER (WHERE created_at > ${since}) AS oldest{i}"
        ));
        allowed.push_str(&format!(" AND n{i} < ${max}"));
    }
    let sql = format!(
        "WITH counted AS (\
           SELECT true AS present{counts} FROM rate_limit_events \
           WHERE bucket = $1 AND created_at > $4\
         ), recorded AS (\
           INSERT INTO rate_limit_events (bucket, created_at) \
           SELECT $1, $2 FROM counted WHERE {allowed} RETURNING id\
         ), forgotten AS (\
           DELETE FROM rate_limit_events \
           WHERE bucket = $1 AND created_at < $3 AND EXISTS (SELECT 1 FROM recorded)\
         ) SELECT (SELECT id FROM recorded) AS id, counted.* FROM counted"
    );
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values,
        ))
        .await?
        .ok_or_else(|| AppError::internal("the rate-limit count returned no row"))?;
    if let Some(id) = row.try_get::<Option<i64>>("", "id")? {
        return Ok(id);
    }
    for (i, rule) in rules.iter().enumerate() {
        let count: i64 = row.try_get("", &format!("n{i}"))?;
        if u64::try_from(count).unwrap_or(0) >= rule.max {
            let oldest: Option<DateTime<Utc>> = row.try_get("", &format!("oldest{i}"))?;
            let free_at = oldest.unwrap_or(now) + rule.window;
            let seconds = (free_at - now).num_seconds().max(1);
            return Err(AppError::RateLimited {
                retry_after_seconds: u64::try_from(seconds).unwrap_or(1),
            });
        }
    }
    Err(AppError::internal(
        "a rate-limit event was neither recorded nor refused",
    ))
}

/// Records one event of `bucket` without a limit and returns its id and how many events the
/// bucket had in the `window` before it (for slowing down rather than refusing). Forgets the
/// bucket's events older than a day.
pub async fn record(
    conn: &impl ConnectionTrait,
    bucket: &str,
    window: Duration,
    now: DateTime<Utc>,
) -> Result<(i64, u64), AppError> {
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "WITH earlier AS (\
               SELECT count(*) AS n FROM rate_limit_events WHERE bucket = $1 AND created_at > $3\
             ), recorded AS (\
               INSERT INTO rate_limit_events (bucket, created_at) VALUES ($1, $2) RETURNING id\
             ), forgotten AS (\
               DELETE FROM rate_limit_events WHERE bucket = $1 AND created_at < $4\
             ) SELECT (SELECT id FROM recorded) AS id, (SELECT n FROM earlier) AS n",
            [
                bucket.into(),
                now.into(),
                (now - window).into(),
                (now - Duration::days(1)).into(),
            ],
        ))
        .await?
        .ok_or_else(|| AppError::internal("recording a rate-limit event returned no row"))?;
    let id: i64 = row.try_get("", "id")?;
    let earlier: i64 = row.try_get("", "n")?;
    Ok((id, u64::try_from(earlier).unwrap_or(0)))
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
    let id = hit_in(&txn, bucket, rules, now).await?;
    txn.commit().await?;
    Ok(id)
}
