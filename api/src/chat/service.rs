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
use serde_json::json;

use super::{
    events::{self, Notice},
    reply,
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

/// The message this client already sent with `client_id`, and its reply when there is one.
async fn already_sent(
    db: &DatabaseConnection,
    session_id: i32,
    client_id: &str,
) -> Result<Option<Sent>, AppError> {
    let Some(message) = chat_messages::Entity::find()
        .filter(chat_messages::Column::SessionId.eq(session_id))
        .filter(chat_messages::Column::ClientMessageId.eq(client_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let reply = chat_messages::Entity::find()
        .filter(chat_messages::Column::ReplyToId.eq(message.id))
        .one(db)
        .await?;
    Ok(Some(Sent { message, reply }))
}

/// Stores the user's message, then the assistant's reply (streamed to subscribers on the
/// way). The reply is produced by a task of its own, so a client that goes away mid-reply
/// still finds it stored.
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
    let session = find_own(db, user_id, session_id).await?;
    if let Some(client_id) = &client_id
        && let Some(sent) = already_sent(db, session.id, client_id).await?
    {
        return Ok(sent);
    }
    let now = services.clock.now();
    let rule = [Rule::new(
        services.chat_messages_per_minute,
        chrono::Duration::minutes(1),
    )];
    rate_limit::hit(db, &format!("chat:user:{user_id}"), &rule, now).await?;

    let txn = db.begin().await?;
    // The row lock orders concurrent sends to one session and keeps the count exact.
    let session = chat_sessions::Entity::find_by_id(session.id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    if !session.is_active {
        return Err(AppError::Conflict(
            "the chat session has ended; start a new one".into(),
        ));
    }
    let inserted = chat_messages::ActiveModel {
        session_id: Set(session.id),
        sender_type: Set(SenderType::User.as_db().to_owned()),
        message_content: Set(content),
        message_type: Set(MessageType::Text.as_db().to_owned()),
        metadata: Set(json!({})),
        client_message_id: Set(client_id.clone()),
        created_at: Set(now.into()),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let message = match inserted {
        Ok(message) => message,
        // The same client id raced in from a retry: that one stands.
        Err(err)
            if matches!(
                err.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) =>
        {
            drop(txn);
            let client_id = client_id.unwrap_or_default();
            return already_sent(db, session.id, &client_id)
                .await?
                .ok_or(AppError::Conflict(
                    "the message is being stored; retry".into(),
                ));
        }
        Err(err) => return Err(err.into()),
    };
    count_message(&txn, session.id).await?;
    events::notify(
        &txn,
        &Notice::Message {
            s: session.id,
            m: message.id,
        },
    )
    .await?;
    txn.commit().await?;

    let task = tokio::spawn(reply::produce(
        db.clone(),
        services.clone(),
        session,
        message.clone(),
    ));
    let reply = match task.await {
        Ok(Ok(reply)) => Some(reply),
        Ok(Err(err)) => return Err(err),
        Err(err) => return Err(AppError::internal(err)),
    };
    Ok(Sent { message, reply })
}

/// Adds one to the session's message count (in the inserting transaction).
pub async fn count_message(conn: &impl ConnectionTrait, session_id: i32) -> Result<(), AppError> {
    conn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE chat_sessions SET total_messages = total_messages + 1 WHERE id = $1",
        [session_id.into()],
    ))
    .await?;
    Ok(())
}
