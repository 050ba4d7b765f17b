//! Device sessions: opening one for a user and resolving a bearer token back to its caller.

use chrono::{Duration, Utc};
use entity::{user_sessions, users};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, prelude::IpNetwork,
};

use super::token;
use crate::context::Viewer;

/// How stale `last_activity` may get before a request refreshes it; bounds the writes a busy
/// client causes to one a minute.
const ACTIVITY_RESOLUTION: Duration = Duration::seconds(60);

/// A new device session for `user_id`; returns the bearer token (shown once, never stored).
pub async fn open_session(
    conn: &impl ConnectionTrait,
    user_id: i32,
    device_info: serde_json::Value,
    ip_address: Option<IpNetwork>,
    lifetime: Duration,
) -> Result<(String, user_sessions::Model), DbErr> {
    let token = token::generate();
    let session = user_sessions::ActiveModel {
        user_id: Set(user_id),
        session_token: Set(token::hash(&token)),
        device_info: Set(device_info),
        ip_address: Set(ip_address),
        expires_at: Set((Utc::now() + lifetime).into()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok((token, session))
}

/// The caller behind `token`: an active, unexpired session of an active user; else `None`.
pub async fn resolve_token(
    conn: &impl ConnectionTrait,
    token: &str,
) -> Result<Option<Viewer>, DbErr> {
    let now = Utc::now();
    let found = user_sessions::Entity::find()
        .filter(user_sessions::Column::SessionToken.eq(token::hash(token)))
        .filter(user_sessions::Column::IsActive.eq(true))
        .filter(user_sessions::Column::ExpiresAt.gt(now))
        .find_also_related(users::Entity)
        .filter(users::Column::IsActive.eq(true))
        .one(conn)
        .await?;
    let Some((mut session, Some(user))) = found else {
        return Ok(None);
    };
    if now.signed_duration_since(session.last_activity) >= ACTIVITY_RESOLUTION {
        user_sessions::Entity::update_many()
            .col_expr(
                user_sessions::Column::LastActivity,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(user_sessions::Column::Id.eq(session.id))
            .exec(conn)
            .await?;
        session.last_activity = now.into();
    }
    Ok(Some(Viewer { user, session }))
}
