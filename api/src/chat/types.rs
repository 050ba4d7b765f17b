//! GraphQL views of chat sessions and messages.

use async_graphql::{Context, ContextSelectionSet, ID, Object, SimpleObject, Value};
use entity::{chat_messages, chat_sessions};
use serde::Deserialize;

use super::{loaders::MessagesBySessionId, safety::Guidance};
use crate::{
    enums::{MessageType, SenderType, SessionType},
    error::AppError,
    pagination::{Page, PageArgs, load_page},
    plain::{self, PlainFields},
    scalars,
};

/// A conversation with the health assistant.
pub struct ChatSession {
    row: chat_sessions::Model,
    session_type: SessionType,
}

impl TryFrom<chat_sessions::Model> for ChatSession {
    type Error = AppError;
    fn try_from(row: chat_sessions::Model) -> Result<Self, AppError> {
        Ok(Self {
            session_type: SessionType::from_db(&row.session_type)?,
            row,
        })
    }
}

/// A conversation with the health assistant.
#[Object]
impl ChatSession {
    /// The session's id.
    async fn id(&self) -> ID {
        ID::from(self.row.id.to_string())
    }
    /// What the conversation is about.
    async fn session_type(&self) -> SessionType {
        self.session_type
    }
    /// False once the session has been ended; ended sessions take no new messages.
    async fn is_active(&self) -> bool {
        self.row.is_active
    }
    /// When the session was started.
    async fn started_at(&self) -> scalars::DateTime {
        self.row.started_at.into()
    }
    /// When it was ended; null while active.
    async fn ended_at(&self) -> Option<scalars::DateTime> {
        self.row.ended_at.map(Into::into)
    }
    /// Number of messages in the session.
    async fn total_messages(&self) -> i32 {
        self.row.total_messages
    }
    /// The conversation, oldest message first.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn messages(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Items after this cursor (an edge's `cursor`).")] after: Option<String>,
        #[graphql(desc = "Items before this cursor (an edge's `cursor`).")] before: Option<String>,
        #[graphql(desc = "Items from the start: 20 by default, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Items from the end, at most 100 (not with `first`).")] last: Option<i32>,
    ) -> Result<Page<ChatMessage>, AppError> {
        let args = PageArgs::parse(after, before, first, last)?;
        load_page::<MessagesBySessionId, _>(ctx, self.row.id, args, ChatMessage::try_from).await
    }
}

/// One message of a chat session.
pub struct ChatMessage {
    row: chat_messages::Model,
    sender_type: SenderType,
    message_type: MessageType,
}

impl TryFrom<chat_messages::Model> for ChatMessage {
    type Error = AppError;
    fn try_from(row: chat_messages::Model) -> Result<Self, AppError> {
        Ok(Self {
            sender_type: SenderType::from_db(&row.sender_type)?,
            message_type: MessageType::from_db(&row.message_type)?,
            row,
        })
    }
}

/// One message of a chat session, the user's or the assistant's.
#[Object]
impl ChatMessage {
    /// The message's id.
    async fn id(&self) -> ID {
        ID::from(self.row.id.to_string())
    }
    /// Who wrote it.
    async fn sender_type(&self) -> SenderType {
        self.sender_type
    }
    /// The message text.
    async fn content(&self) -> &str {
        &self.row.message_content
    }
    /// TEXT, or SAFETY_NOTICE when the reply leads with emergency or crisis guidance.
    async fn message_type(&self) -> MessageType {
        self.message_type
    }
    /// How the assistant produced this reply (provider, model, tokens, latency, what the
    /// safety layer found); null for the user's own messages.
    async fn reply_details(&self) -> Option<ReplyDetails> {
        ReplyDetails::read(self.sender_type, &self.row.metadata)
    }
    /// Technical details of how the message was produced (provider, model, latency, safety
    /// flags), as untyped JSON. Never holds secrets.
    #[graphql(deprecation = "Use the typed `replyDetails`.")]
    async fn metadata(&self) -> scalars::Json<&serde_json::Value> {
        scalars::Json(&self.row.metadata)
    }
    /// When it was stored.
    async fn created_at(&self) -> scalars::DateTime {
        self.row.created_at.into()
    }
}

impl PlainFields for ChatSession {
    fn plain_field(&self, _ctx: &ContextSelectionSet<'_>, field: &str) -> Option<Value> {
        Some(match field {
            "id" => plain::value(ID::from(self.row.id.to_string())),
            "sessionType" => plain::value(self.session_type),
            "isActive" => plain::value(self.row.is_active),
            "startedAt" => plain::time(self.row.started_at),
            "endedAt" => plain::optional_time(self.row.ended_at),
            "totalMessages" => plain::value(self.row.total_messages),
            _ => return None,
        })
    }
}

impl PlainFields for ChatMessage {
    fn plain_field(&self, _ctx: &ContextSelectionSet<'_>, field: &str) -> Option<Value> {
        Some(match field {
            "id" => plain::value(ID::from(self.row.id.to_string())),
            "senderType" => plain::value(self.sender_type),
            "content" => plain::text(&self.row.message_content),
            "messageType" => plain::value(self.message_type),
            "metadata" => plain::json(&self.row.metadata),
            "createdAt" => plain::time(self.row.created_at),
            _ => return None,
        })
    }
}

/// How the assistant produced a reply (stored with the message by `chat::reply`).
#[derive(SimpleObject, Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplyDetails {
    /// The AI provider that wrote it, or `built_in` for the server's own assistant.
    pub provider: String,
    /// The model asked, when an AI provider is configured.
    pub model: Option<String>,
    /// Whether the user's health summary was shared with the provider (their
    /// `ai_context_sharing` setting); null for the built-in assistant.
    pub context_shared: Option<bool>,
    /// Tokens the provider counted, when it reported them.
    pub tokens: Option<TokenUsage>,
    /// Set when the provider failed and the built-in assistant answered instead.
    pub fallback: Option<ReplyFallback>,
    /// Milliseconds from the user's message to the stored reply.
    pub latency_ms: Option<i64>,
    /// What the safety layer found in the message this reply answers.
    #[serde(default)]
    pub safety: SafetyCheck,
}

impl ReplyDetails {
    /// The details of an assistant's message; none for other messages or a record that is not
    /// one (messages of generated demo data have none).
    fn read(sender: SenderType, metadata: &serde_json::Value) -> Option<Self> {
        if sender != SenderType::Assistant {
            return None;
        }
        Self::deserialize(metadata).ok()
    }
}

/// Tokens an AI provider counted for one reply.
#[derive(SimpleObject, Debug, Clone, Deserialize)]
pub struct TokenUsage {
    /// Tokens of the prompt (history and context included).
    pub prompt: i64,
    /// Tokens of the reply.
    pub completion: i64,
}

/// Why the built-in assistant answered in the provider's place.
#[derive(SimpleObject, Debug, Clone, Deserialize)]
pub struct ReplyFallback {
    /// What went wrong with the provider (no secrets, no message text).
    pub reason: String,
}

/// What the safety layer found in a user's message.
#[derive(SimpleObject, Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SafetyCheck {
    /// Red-flag categories found, e.g. `chest_pain`; empty when none.
    pub red_flags: Vec<String>,
    /// The guidance put at the top of the reply; empty when none.
    pub guidance: Vec<Guidance>,
}
