//! Produces the assistant's reply to one user message: safety guidance first (when the
//! message raises a red flag), then the external model's answer streamed piece by piece, or
//! the built-in assistant's when no model is configured or the model fails; then the reply
//! is stored and announced. The user never gets an error because of the model.

use std::time::Instant;

use entity::{chat_messages, chat_sessions};
use futures_util::StreamExt;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
};
use serde_json::{Value, json};

use super::{
    assistant::{self, HealthContext},
    events::{self, Notice},
    safety,
    service::count_message,
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

/// Sends reply pieces to subscribers, numbered from 0.
struct Pieces<'a> {
    db: &'a DatabaseConnection,
    session_id: i32,
    reply_to: i32,
    next: u32,
}

impl Pieces<'_> {
    async fn send(&mut self, text: &str) {
        let notice = Notice::Delta {
            s: self.session_id,
            r: self.reply_to,
            n: self.next,
            d: text.to_owned(),
        };
        self.next += 1;
        // A lost piece costs a subscriber a preview, not the reply: the stored message follows.
        if let Err(err) = events::notify(self.db, &notice).await {
            tracing::warn!(error = %err, "could not announce a reply piece");
        }
    }

    async fn send_words(&mut self, text: &str) {
        let words: Vec<&str> = text.split_inclusive(' ').collect();
        for piece in words.chunks(WORDS_PER_PIECE) {
            self.send(&piece.concat()).await;
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

pub async fn produce(
    db: DatabaseConnection,
    services: SharedServices,
    session: chat_sessions::Model,
    message: chat_messages::Model,
) -> Result<chat_messages::Model, AppError> {
    let started = Instant::now();
    let safety = safety::assess(&message.message_content);
    let notice = safety.notice();
    let session_type = SessionType::from_db(&session.session_type)?;
    // The user's data is read only when something uses it: the model with consent, or the
    // built-in assistant.
    let mut context: Option<HealthContext> = None;
    let mut pieces = Pieces {
        db: &db,
        session_id: session.id,
        reply_to: message.id,
        next: 0,
    };
    if !notice.is_empty() {
        pieces.send(&format!("{notice}\n\n")).await;
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
            let sharing = context_sharing(&db, session.user_id).await;
            if sharing {
                context = Some(HealthContext::load(&db, session.user_id).await?);
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
            turns.extend(conversation(&db, session.id, message.id).await?);
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
                None => HealthContext::load(&db, session.user_id).await?,
            };
            let text = assistant::reply(&message.message_content, session_type, &context);
            pieces.send_words(&text).await;
            text
        }
    };
    let content = if notice.is_empty() {
        body
    } else {
        format!("{notice}\n\n{body}")
    };
    metadata["latencyMs"] = json!(started.elapsed().as_millis() as u64);
    store(
        &db,
        &services,
        &session,
        &message,
        content,
        metadata,
        safety.is_red_flag(),
    )
    .await
}

async fn store(
    db: &DatabaseConnection,
    services: &SharedServices,
    session: &chat_sessions::Model,
    message: &chat_messages::Model,
    content: String,
    metadata: Value,
    red_flag: bool,
) -> Result<chat_messages::Model, AppError> {
    let txn = db.begin().await?;
    // Same lock order as sending: the session row first.
    chat_sessions::Entity::find_by_id(session.id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let message_type = if red_flag {
        MessageType::SafetyNotice
    } else {
        MessageType::Text
    };
    let reply = chat_messages::ActiveModel {
        session_id: Set(session.id),
        sender_type: Set(SenderType::Assistant.as_db().to_owned()),
        message_content: Set(content),
        message_type: Set(message_type.as_db().to_owned()),
        metadata: Set(metadata),
        reply_to_id: Set(Some(message.id)),
        created_at: Set(services.clock.now().into()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    count_message(&txn, session.id).await?;
    events::notify(
        &txn,
        &Notice::Message {
            s: session.id,
            m: reply.id,
        },
    )
    .await?;
    events::notify(
        &txn,
        &Notice::Completed {
            s: session.id,
            r: message.id,
            m: reply.id,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(reply)
}
