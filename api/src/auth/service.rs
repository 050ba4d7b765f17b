//! Device sessions: opening, resolving a bearer token back to its caller, revoking.

use std::{net::IpAddr, sync::LazyLock};

use chrono::{DateTime, Duration, Utc};
use entity::{user_sessions, users};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbBackend, DbErr,
    EntityTrait, QueryFilter, Statement, prelude::IpNetwork, sea_query::Expr,
};

use super::token;
use super::viewer::Viewer;
use crate::rows::FromRow;

/// How stale `last_activity` may get before a request refreshes it; bounds the writes a busy
/// client causes to one a minute.
const ACTIVITY_RESOLUTION: Duration = Duration::seconds(60);

/// What a new session is opened with.
pub struct NewSession {
    pub user_id: i32,
    pub device_info: serde_json::Value,
    pub ip: Option<IpAddr>,
    pub lifetime: Duration,
    pub idle_timeout: Duration,
}

/// Opens a device session; returns the bearer token (shown once, never stored) and the row.
pub async fn open_session(
    conn: &impl ConnectionTrait,
    new: NewSession,
    now: DateTime<Utc>,
) -> Result<(String, user_sessions::Model), DbErr> {
    let token = token::generate();
    let session =
        user_sessions::ActiveModel {
            user_id: Set(new.user_id),
            session_token: Set(token::hash(&token)),
            device_info: Set(new.device_info),
            ip_address: Set(new.ip.map(IpNetwork::from)),
            expires_at: Set((now + new.lifetime).into()),
            idle_timeout_seconds: Set(
                i32::try_from(new.idle_timeout.num_seconds()).unwrap_or(i32::MAX)
            ),
            created_at: Set(now.into()),
            last_activity: Set(now.into()),
            ..Default::default()
        }
        .insert(conn)
        .await?;
    Ok((token, session))
}

/// Sessions that still work at `now`: active, before their absolute expiry, not idle too long.
pub fn live_at(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(user_sessions::Column::IsActive.eq(true))
        .add(user_sessions::Column::ExpiresAt.gt(now))
        .add(Expr::cust_with_values(
            r#""user_sessions"."last_activity" + make_interval(secs => "user_sessions"."idle_timeout_seconds") > $1"#,
            [now],
        ))
}

/// The caller behind `token`: a live session of an active user; else `None`. With
/// `records_write`, the session's `last_write_at` moves to `now` (a mutation, when a read
/// replica is in use: the session then reads from the primary for a while).
pub async fn resolve_token(
    conn: &impl ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
    records_write: bool,
) -> Result<Option<Viewer>, DbErr> {
    let Some(mut viewer) = find_live(conn, &token::hash(token), now).await? else {
        return Ok(None);
    };
    record_activity(conn, &mut viewer.session, now, records_write).await?;
    Ok(Some(viewer))
}

/// The live session whose token hashes to `token_hash`, with its active user.
pub async fn find_live(
    conn: &impl ConnectionTrait,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<Viewer>, DbErr> {
    // Runs on every request the session cache cannot answer: one fixed statement, read by
    // column position (`rows`). The session conditions are `live_at`'s (and `is_live`'s).
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT {}, {} FROM user_sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.session_token = $1 AND s.is_active AND s.expires_at > $2 \
             AND s.last_activity + make_interval(secs => s.idle_timeout_seconds) > $2 \
             AND u.is_active",
            user_sessions::Model::select_list("s"),
            users::Model::select_list("u"),
        )
    });
    let statement = Statement::from_sql_and_values(
        DbBackend::Postgres,
        SQL.as_str(),
        [token_hash.into(), now.into()],
    );
    let Some(row) = conn.query_one_raw(statement).await? else {
        return Ok(None);
    };
    let session = user_sessions::Model::read(&row, 0)?;
    let user = users::Model::read(&row, user_sessions::Model::COLUMNS.len())?;
    Ok(Some(Viewer { user, session }))
}

/// Whether `viewer` may still act at `now` by the rows it was read with: `find_live`'s
/// conditions, checked in memory.
pub fn is_live(viewer: &Viewer, now: DateTime<Utc>) -> bool {
    let session = &viewer.session;
    let idle = Duration::seconds(i64::from(session.idle_timeout_seconds));
    viewer.user.is_active
        && session.is_active
        && session.expires_at > now
        && session.last_activity + idle > now
}

/// Moves the session's `last_activity` to `now` when it is over a minute old (and
/// `last_write_at`, with `records_write`), in the database and in `session`.
pub async fn record_activity(
    conn: &impl ConnectionTrait,
    session: &mut user_sessions::Model,
    now: DateTime<Utc>,
    records_write: bool,
) -> Result<(), DbErr> {
    if !records_write && now.signed_duration_since(session.last_activity) < ACTIVITY_RESOLUTION {
        return Ok(());
    }
    let mut update = user_sessions::Entity::update_many()
        .col_expr(user_sessions::Column::LastActivity, Expr::value(now));
    if records_write {
        update = update.col_expr(user_sessions::Column::LastWriteAt, Expr::value(Some(now)));
        session.last_write_at = Some(now.into());
    }
    update
        .filter(user_sessions::Column::Id.eq(session.id))
        .exec(conn)
        .await?;
    session.last_activity = now.into();
    Ok(())
}

/// Which of a user's sessions to revoke.
pub enum Revoke {
    One(i32),
    AllBut(i32),
    All,
}

/// Ends sessions of `user_id` at once; returns how many were live. Another user's session id
/// matches nothing.
pub async fn revoke_sessions(
    conn: &impl ConnectionTrait,
    user_id: i32,
    which: Revoke,
) -> Result<u64, DbErr> {
    let mut update = user_sessions::Entity::update_many()
        .col_expr(user_sessions::Column::IsActive, Expr::value(false))
        .filter(user_sessions::Column::UserId.eq(user_id))
        .filter(user_sessions::Column::IsActive.eq(true));
    update = match which {
        Revoke::One(id) => update.filter(user_sessions::Column::Id.eq(id)),
        Revoke::AllBut(id) => update.filter(user_sessions::Column::Id.ne(id)),
        Revoke::All => update,
    };
    Ok(update.exec(conn).await?.rows_affected)
}
