//! Chat sessions and messages. Every function takes the owner's id; another user's session
//! is NOT_FOUND.
//!
//! `total_messages` is changed in the transaction that inserts the message, after locking the
//! session row, so it always equals the number of message rows, however many sends race.

use chrono::{DateTime, Utc};
use entity::{chat_messages, chat_sessions};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DbBackend, EntityTrait, QueryFilter, QuerySelect, Statement, TransactionTrait,
};

use crate::rows::FromRow;
use serde_json::json;

use super::{
    events::{self, Notice},
    reply,
    store::{self, NewMessage, Stored},
};
use crate::{
    enums::{MessageType, SenderType, SessionType},
    error::AppError,
    rate_limit::{self, Rule},
    services::SharedServices,
};

pub const MAX_CONTENT_CHARS: usize = 4000;
pub const MAX_CLIENT_ID_CHARS: usize = 64;

pub async fn start(
    db: &DatabaseConnection,
    user_id: i32,
    session_type: SessionType,
    now: DateTime<Utc>,
) -> Result<chat_sessions::Model, AppError> {
    Ok(chat_sessions::ActiveModel {
        user_id: Set(user_id),
        session_type: Set(session_type.as_db().to_owned()),
        is_active: Set(true),
        started_at: Set(now.into()),
        total_messages: Set(0),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

pub async fn find_own(
    conn: &impl ConnectionTrait,
    user_id: i32,
    id: i32,
) -> Result<chat_sessions::Model, AppError> {
    chat_sessions::Entity::find_by_id(id)
        .filter(chat_sessions::Column::UserId.eq(user_id))
        .one(conn)
        .await?
        .ok_or(AppError::NotFound)
}

/// Ends the session (ending an ended session changes nothing).
pub async fn end(
    db: &DatabaseConnection,
    user_id: i32,
    id: i32,
    now: DateTime<Utc>,
) -> Result<chat_sessions::Model, AppError> {
    let txn = db.begin().await?;
    let session = chat_sessions::Entity::find_by_id(id)
        .filter(chat_sessions::Column::UserId.eq(user_id))
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    if !session.is_active {
        return Ok(session);
    }
    let mut active: chat_sessions::ActiveModel = session.into();
    active.is_active = Set(false);
    active.ended_at = Set(Some(now.into()));
    let session = active.update(&txn).await?;
    events::notify(&txn, &Notice::Ended { s: id }).await?;
    txn.commit().await?;
    Ok(session)
}

/// Deletes the session and, by cascade, its messages.
pub async fn delete(db: &DatabaseConnection, user_id: i32, id: i32) -> Result<(), AppError> {
    let txn = db.begin().await?;
    let deleted = chat_sessions::Entity::delete_many()
        .filter(chat_sessions::Column::Id.eq(id))
        .filter(chat_sessions::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(AppError::NotFound);
    }
    events::notify(&txn, &Notice::Deleted { s: id }).await?;
    txn.commit().await?;
    Ok(())
}

/// A sent message and the assistant's reply to it.
pub struct Sent {
    pub message: chat_messages::Model,
    pub reply: Option<chat_messages::Model>,
}

fn clean_content(content: &str) -> Result<String, AppError> {
    let content = content.trim();
    let chars = content.chars().count();
    if chars == 0 || chars > MAX_CONTENT_CHARS {
        return Err(AppError::bad_input(
            "content",
            format!("a message has 1 to {MAX_CONTENT_CHARS} characters"),
        ));
    }
    Ok(content.to_owned())
}

fn clean_client_id(id: Option<String>) -> Result<Option<String>, AppError> {
    let Some(id) = id else {
        return Ok(None);
    };
    let ok = (1..=MAX_CLIENT_ID_CHARS).contains(&id.chars().count())
        && id.chars().all(|c| c.is_ascii_graphic());
    if !ok {
        return Err(AppError::bad_input(
            "clientMessageId",
            format!("1 to {MAX_CLIENT_ID_CHARS} visible ASCII characters"),
        ));
    }
    Ok(Some(id))
}

/// The message this client already sent with `client_id` in `user_id`'s session, and its
/// reply when there is one: one statement.
async fn already_sent(
    db: &DatabaseConnection,
    user_id: i32,
    session_id: i32,
    client_id: &str,
) -> Result<Option<Sent>, AppError> {
    let sql = format!(
        "SELECT {message}, r.id IS NOT NULL AS replied, {reply} \
         FROM chat_messages m JOIN chat_sessions s ON s.id = m.session_id \
         LEFT JOIN LATERAL (\
           SELECT * FROM chat_messages r WHERE r.reply_to_id = m.id ORDER BY r.id LIMIT 1\
         ) r ON true \
         WHERE s.id = $1 AND s.user_id = $2 AND m.client_message_id = $3",
        message = chat_messages::Model::select_list("m"),
        reply = chat_messages::Model::select_list("r"),
    );
    let statement = Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        [session_id.into(), user_id.into(), client_id.into()],
    );
    let Some(row) = db.query_one_raw(statement).await? else {
        return Ok(None);
    };
    let columns = chat_messages::Model::COLUMNS.len();
    let message = chat_messages::Model::read(&row, 0)?;
    let reply = if row.try_get_by_index::<bool>(columns)? {
        Some(chat_messages::Model::read(&row, columns + 1)?)
    } else {
        None
    };
    Ok(Some(Sent { message, reply }))
}

/// Stores the user's message, then the assistant's reply (streamed to subscribers on the
/// way). The reply is produced by a task of its own, so a client that goes away mid-reply
/// still finds it stored.
///
/// The message costs one transaction of four statements: the rate limit's lock and count
/// (`rate_limit::hit_in`), then `store::store`; a send that fails (another user's session, an
/// ended one) rolls its rate-limit event back with it. A retry with the same client message
/// id returns the first send before any of that.
pub async fn send(
    db: &DatabaseConnection,
    services: &SharedServices,
    user_id: i32,
    session_id: i32,
    content: &str,
    client_id: Option<String>,
) -> Result<Sent, AppError> {
    let content = clean_content(content)?;
    let client_id = clean_client_id(client_id)?;
    if let Some(client_id) = &client_id
        && let Some(sent) = already_sent(db, user_id, session_id, client_id).await?
    {
        return Ok(sent);
    }
    let now = services.clock.now();
    let rule = [Rule::new(
        services.chat_messages_per_minute,
        chrono::Duration::minutes(1),
    )];
    let txn = db.begin().await?;
    rate_limit::hit_in(&txn, &format!("chat:user:{user_id}"), &rule, now).await?;
    let new = NewMessage {
        session_id,
        user_id,
        sender: SenderType::User,
        content,
        message_type: MessageType::Text,
        metadata: json!({}),
        client_id: client_id.clone(),
        reply_to: None,
        at: now,
    };
    let (message, session_type) = match store::store(&txn, new, &[]).await {
        Ok(Stored::Message(message, session_type)) => (message, session_type),
        Ok(Stored::NotFound) => return Err(AppError::NotFound),
        Ok(Stored::SessionEnded) => {
            return Err(AppError::Conflict(
                "the chat session has ended; start a new one".into(),
            ));
        }
        // The same client id raced in from a retry: that one stands.
        Err(err)
            if matches!(
                err.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) =>
        {
            drop(txn);
            let client_id = client_id.unwrap_or_default();
            return already_sent(db, user_id, session_id, &client_id)
                .await?
                .ok_or(AppError::Conflict(
                    "the message is being stored; retry".into(),
                ));
        }
        Err(err) => return Err(err.into()),
    };
    txn.commit().await?;

    let task = tokio::spawn(reply::produce(
        db.clone(),
        services.clone(),
        user_id,
        SessionType::from_db(&session_type)?,
        message.clone(),
    ));
    let reply = match task.await {
        Ok(Ok(reply)) => Some(reply),
        Ok(Err(err)) => return Err(err),
        Err(err) => return Err(AppError::internal(err)),
    };
    Ok(Sent { message, reply })
}
