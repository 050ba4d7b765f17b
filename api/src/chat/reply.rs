//! Produces the assistant's reply to one user message: safety guidance first (when the
//! message raises a red flag), then the external model's answer streamed piece by piece, or
//! the built-in assistant's when no model is configured or the model fails; then the reply
//! is stored and announced. The user never gets an error because of the model.

use std::time::Instant;

use entity::chat_messages;
use futures_util::StreamExt;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::json;

use super::{
    assistant::{self, HealthContext},
    events::{self, Notice},
    safety,
    store::{self, NewMessage, Stored},
};
use crate::{
    ai::{AiProvider, Chunk, Turn},
    enums::{MessageType, SenderType, SessionType},
    error::AppError,
    services::SharedServices,
    settings,
};

/// Turns of the session sent to the model as context.
const RECENT_TURNS: u64 = 12;
/// Words per streamed piece of the built-in assistant's reply.
const WORDS_PER_PIECE: usize = 4;

const SYSTEM_PROMPT: &str = "You are Echo, the health information assistant of a personal \
health app. Give clear, general health information in plain language. You do not diagnose, \
prescribe, or change anyone's treatment; say so when asked, and suggest seeing a doctor when \
that is the sensible next step. If the user describes an emergency, tell them to call their \
local emergency number. Keep answers short (under 200 words), no markup, no links.";

/// Reply pieces for subscribers, numbered from 0: sent as they come while a model streams,
/// or queued and announced with the stored reply (the built-in assistant's reply is ready at
/// once, so its pieces cost no statement of their own).
struct Pieces<'a> {
    db: &'a DatabaseConnection,
    session_id: i32,
    reply_to: i32,
    next: u32,
    queued: Vec<Notice>,
}

impl Pieces<'_> {
    fn queue(&mut self, text: &str) {
        let notice = Notice::Delta {
            s: self.session_id,
            r: self.reply_to,
            n: self.next,
            d: text.to_owned(),
        };
        self.next += 1;
        self.queued.push(notice);
    }

    /// Queues `text`, then sends everything queued.
    async fn send(&mut self, text: &str) {
        self.queue(text);
        // A lost piece costs a subscriber a preview, not the reply: the stored message follows.
        if let Err(err) = events::notify_all(self.db, &self.queued).await {
            tracing::warn!(error = %err, "could not announce a reply piece");
        }
        self.queued.clear();
    }

    fn queue_words(&mut self, text: &str) {
        let words: Vec<&str> = text.split_inclusive(' ').collect();
        for piece in words.chunks(WORDS_PER_PIECE) {
            self.queue(&piece.concat());
        }
    }
}

async fn context_sharing(db: &DatabaseConnection, user_id: i32) -> bool {
    settings::service::is_on(db, user_id, "ai_context_sharing").await
}

async fn conversation(
    db: &DatabaseConnection,
    session_id: i32,
    upto: i32,
) -> Result<Vec<Turn>, AppError> {
    let mut recent = chat_messages::Entity::find()
        .filter(chat_messages::Column::SessionId.eq(session_id))
        .filter(chat_messages::Column::Id.lte(upto))
        .order_by_desc(chat_messages::Column::CreatedAt)
        .order_by_desc(chat_messages::Column::Id)
        .limit(RECENT_TURNS)
        .all(db)
        .await?;
    recent.reverse();
    Ok(recent
        .into_iter()
        .map(|m| Turn {
            role: if m.sender_type == SenderType::User.as_db() {
                "user"
            } else {
                "assistant"
            },
            content: m.message_content,
        })
        .collect())
}

/// The external model's answer, streamed to subscribers; `Err` says why it was not usable.
async fn from_model(
    ai: &dyn AiProvider,
    turns: Vec<Turn>,
    pieces: &mut Pieces<'_>,
) -> Result<(String, Option<(i64, i64)>), String> {
    let mut stream = ai.stream_chat(turns);
    let mut text = String::new();
    let mut usage = None;
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(Chunk::Delta(delta)) => {
                text.push_str(&delta);
                pieces.send(&delta).await;
            }
            Ok(Chunk::Usage { prompt, completion }) => usage = Some((prompt, completion)),
            Err(err) => return Err(err.to_string()),
        }
    }
    if text.trim().is_empty() {
        return Err("the model's answer was empty".into());
    }
    Ok((text.trim().to_owned(), usage))
}

/// The reply to `message`, a message of `user_id` in a session of `session_type`.
pub async fn produce(
    db: DatabaseConnection,
    services: SharedServices,
    user_id: i32,
    session_type: SessionType,
    message: chat_messages::Model,
) -> Result<chat_messages::Model, AppError> {
    let started = Instant::now();
    let safety = safety::assess(&message.message_content);
    let notice = safety.notice();
    let session_id = message.session_id;
    // The user's data is read only when something uses it: the model with consent, or the
    // built-in assistant.
    let mut context: Option<HealthContext> = None;
    let mut pieces = Pieces {
        db: &db,
        session_id,
        reply_to: message.id,
        next: 0,
        queued: Vec::new(),
    };
    if !notice.is_empty() {
        pieces.queue(&format!("{notice}\n\n"));
    }

    let mut metadata = json!({
        "replyTo": message.id,
        "safety": safety.metadata(),
    });
    let from_model = match services.ai.as_deref() {
        Some(ai) => {
            let mut turns = vec![Turn {
                role: "system",
                content: SYSTEM_PROMPT.into(),
            }];
            let sharing = context_sharing(&db, user_id).await;
            if sharing {
                context = Some(HealthContext::load(&db, user_id).await?);
            }
            if let Some(context) = context.as_ref().filter(|c| !c.is_empty()) {
                turns.push(Turn {
                    role: "system",
                    content: format!(
                        "The user chose to share this summary of their data: {}",
                        context.summary()
                    ),
                });
            }
            turns.extend(conversation(&db, session_id, message.id).await?);
            metadata["provider"] = json!(ai.name());
            metadata["model"] = json!(ai.model());
            metadata["contextShared"] = json!(sharing);
            match from_model(ai, turns, &mut pieces).await {
                Ok((text, usage)) => {
                    if let Some((prompt, completion)) = usage {
                        metadata["tokens"] = json!({ "prompt": prompt, "completion": completion });
                    }
                    Some(text)
                }
                Err(reason) => {
                    tracing::warn!(%reason, "AI reply failed; the built-in assistant answers");
                    metadata["fallback"] = json!({ "reason": reason, "to": "built_in" });
                    None
                }
            }
        }
        None => None,
    };
    let body = match from_model {
        Some(text) => text,
        None => {
            if services.ai.is_none() {
                metadata["provider"] = json!("built_in");
            }
            let context = match context {
                Some(context) => context,
                None => HealthContext::load(&db, user_id).await?,
            };
            let text = assistant::reply(&message.message_content, session_type, &context);
            pieces.queue_words(&text);
            text
        }
    };
    let content = if notice.is_empty() {
        body
    } else {
        format!("{notice}\n\n{body}")
    };
    metadata["latencyMs"] = json!(started.elapsed().as_millis() as u64);
    let message_type = if safety.is_red_flag() {
        MessageType::SafetyNotice
    } else {
        MessageType::Text
    };
    let reply = NewMessage {
        session_id,
        user_id,
        sender: SenderType::Assistant,
        content,
        message_type,
        metadata,
        client_id: None,
        reply_to: Some(message.id),
        at: services.clock.now(),
    };
    // One statement: the queued pieces, the reply and its completion are announced with it.
    match store::store(&db, reply, &pieces.queued).await? {
        Stored::Message(reply, _) => Ok(reply),
        // The session was deleted meanwhile.
        Stored::NotFound | Stored::SessionEnded => Err(AppError::NotFound),
    }
}
