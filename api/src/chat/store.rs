//! Storing a chat message in one statement: the session row is locked (which orders the
//! sends and replies of one session), the message inserted, the session's `total_messages`
//! raised by one and the subscribers notified, atomically. The notices go out on commit, in
//! order: the ones given (the pieces of a reply not yet streamed), the message, and for a
//! reply its completion. The message and completion notices are written in SQL, since the
//! message's id is only known there; they have the shape of `events::Notice`.

use chrono::{DateTime, Utc};
use entity::chat_messages;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

use super::events::{self, CHANNEL, Notice};
use crate::{
    enums::{MessageType, SenderType},
    rows::FromRow,
};

/// A message to store in the session `session_id` of `user_id`.
pub struct NewMessage {
    pub session_id: i32,
    pub user_id: i32,
    pub sender: SenderType,
    pub content: String,
    pub message_type: MessageType,
    pub metadata: serde_json::Value,
    pub client_id: Option<String>,
    /// For a reply: the user's message it answers. A reply is stored (and announced as
    /// completed) even if the session ended while it was being written.
    pub reply_to: Option<i32>,
    pub at: DateTime<Utc>,
}

pub enum Stored {
    /// The stored message, and the session's type (as stored).
    Message(chat_messages::Model, String),
    /// The session has ended: nothing was stored.
    SessionEnded,
    /// No such session of this user.
    NotFound,
}

/// Stores `message`, announcing `before` first. A duplicate client message id fails with the
/// unique violation (the caller's retry finds the first one).
pub async fn store(
    conn: &impl ConnectionTrait,
    message: NewMessage,
    before: &[Notice],
) -> Result<Stored, DbErr> {
    let before = events::payloads(before)?;
    let sql = format!(
        "WITH session AS (\
           SELECT id, is_active, session_type FROM chat_sessions \
           WHERE id = $1 AND user_id = $2 FOR UPDATE\
         ), message AS (\
           INSERT INTO chat_messages (session_id, sender_type, message_content, message_type, \
                                      metadata, client_message_id, reply_to_id, created_at) \
           SELECT id, $3, $4, $5, $6, $7, $8, $9 FROM session WHERE is_active OR $8 IS NOT NULL \
           RETURNING *\
         ), counted AS (\
           UPDATE chat_sessions SET total_messages = total_messages + 1 \
           WHERE id IN (SELECT session_id FROM message)\
         ) \
         SELECT s.session_type, m.id IS NOT NULL AS stored, {columns}, \
           CASE WHEN m.id IS NOT NULL THEN (\
             SELECT count(pg_notify($10, notice)) FROM unnest(\
               $11::text[] \
               || json_build_object('k', 'message', 's', m.session_id, 'm', m.id)::text \
               || CASE WHEN m.reply_to_id IS NULL THEN '{{}}'::text[] ELSE ARRAY[\
                    json_build_object('k', 'completed', 's', m.session_id, \
                                      'r', m.reply_to_id, 'm', m.id)::text] END\
             ) AS notice\
           ) END AS announced \
         FROM session s LEFT JOIN message m ON true",
        columns = chat_messages::Model::select_list("m"),
    );
    let values = [
        message.session_id.into(),
        message.user_id.into(),
        message.sender.as_db().into(),
        message.content.into(),
        message.message_type.as_db().into(),
        message.metadata.into(),
        message.client_id.into(),
        message.reply_to.into(),
        message.at.into(),
        CHANNEL.into(),
        before.into(),
    ];
    let Some(row) = conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values,
        ))
        .await?
    else {
        return Ok(Stored::NotFound);
    };
    if !row.try_get_by_index::<bool>(1)? {
        return Ok(Stored::SessionEnded);
    }
    let session_type = row.try_get_by_index(0)?;
    Ok(Stored::Message(
        chat_messages::Model::read(&row, 2)?,
        session_type,
    ))
}
