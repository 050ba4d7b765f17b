//! Chat queries, mutations and the `chatEvents` subscription: thin resolvers over `service`.

use async_graphql::{Context, Enum, ID, Object, SimpleObject, Subscription};
use futures_util::{Stream, stream};
use sea_orm::DatabaseConnection;
use tokio::sync::broadcast::error::RecvError;

use super::{
    events::{EventHub, Notice},
    service,
    types::{ChatMessage, ChatSession},
};
use crate::{
    context::{db, parse_id, services, viewer},
    enums::SessionType,
    error::AppError,
};

/// A chat session after it was started or ended.
#[derive(SimpleObject)]
pub struct ChatSessionPayload {
    /// The session as it is now.
    pub session: ChatSession,
}

/// What a deletion removed.
#[derive(SimpleObject)]
pub struct DeleteChatSessionPayload {
    /// The id of the deleted session (its messages went with it).
    pub deleted_id: ID,
}

/// A sent message and the assistant's reply to it.
#[derive(SimpleObject)]
pub struct SendChatMessagePayload {
    /// The stored user message.
    pub message: ChatMessage,
    /// The assistant's stored reply.
    pub reply: Option<ChatMessage>,
}

#[derive(Default)]
pub struct ChatQuery;

#[Object]
impl ChatQuery {
    /// One of the caller's chat sessions; anyone else's id is NOT_FOUND.
    async fn chat_session(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The session's id.")] id: ID,
    ) -> Result<ChatSession, AppError> {
        let viewer = viewer(ctx)?;
        ChatSession::try_from(service::find_own(db(ctx), viewer.user.id, parse_id(&id)?).await?)
    }
}

#[derive(Default)]
pub struct ChatMutation;

#[Object]
impl ChatMutation {
    /// Opens a chat session with the health assistant (GENERAL when no type is given).
    async fn start_chat_session(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What the conversation is about; GENERAL when omitted.")]
        session_type: Option<SessionType>,
    ) -> Result<ChatSessionPayload, AppError> {
        let viewer = viewer(ctx)?;
        let session_type = session_type.unwrap_or(SessionType::General);
        let now = services(ctx).clock.now();
        let session = service::start(db(ctx), viewer.user.id, session_type, now).await?;
        Ok(ChatSessionPayload {
            session: ChatSession::try_from(session)?,
        })
    }

    /// Ends a session: it keeps its messages and takes no new ones (sending answers CONFLICT).
    async fn end_chat_session(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The session's id.")] id: ID,
    ) -> Result<ChatSessionPayload, AppError> {
        let viewer = viewer(ctx)?;
        let now = services(ctx).clock.now();
        let session = service::end(db(ctx), viewer.user.id, parse_id(&id)?, now).await?;
        Ok(ChatSessionPayload {
            session: ChatSession::try_from(session)?,
        })
    }

    /// Deletes a session and its messages.
    async fn delete_chat_session(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The session's id.")] id: ID,
    ) -> Result<DeleteChatSessionPayload, AppError> {
        let viewer = viewer(ctx)?;
        service::delete(db(ctx), viewer.user.id, parse_id(&id)?).await?;
        Ok(DeleteChatSessionPayload { deleted_id: id })
    }

    /// Sends a message (1 to 4000 characters, trimmed) and returns it with the assistant's
    /// reply; subscribers of `chatEvents` see the reply stream in meanwhile. The same
    /// `clientMessageId` sent again returns the stored message and reply instead of sending
    /// twice.
    async fn send_chat_message(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The active session to send to.")] session_id: ID,
        #[graphql(desc = "The message text, 1 to 4,000 characters.")] content: String,
        #[graphql(
            desc = "Your id for this message (1 to 64 visible ASCII characters); a retry with it returns the first send."
        )]
        client_message_id: Option<String>,
    ) -> Result<SendChatMessagePayload, AppError> {
        let viewer = viewer(ctx)?;
        let services = ctx.data_unchecked::<crate::services::SharedServices>();
        let sent = service::send(
            db(ctx),
            services,
            viewer.user.id,
            parse_id(&session_id)?,
            &content,
            client_message_id,
        )
        .await?;
        Ok(SendChatMessagePayload {
            message: ChatMessage::try_from(sent.message)?,
            reply: sent.reply.map(ChatMessage::try_from).transpose()?,
        })
    }
}

/// What happened in a chat session.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatEventKind {
    /// A message (the user's or the assistant's) was stored: `message`.
    MessageAdded,
    /// The next piece of the assistant's reply to `replyToId`: `delta`, numbered `sequence`.
    ReplyDelta,
    /// The assistant's reply is stored and complete: `message` (replace the streamed draft
    /// with it).
    ReplyCompleted,
    /// The session was ended; the subscription completes.
    SessionEnded,
}

/// Something that happened in a chat session, as `chatEvents` streams it.
#[derive(SimpleObject)]
pub struct ChatEvent {
    /// What happened.
    pub kind: ChatEventKind,
    /// The session it happened in.
    pub session_id: ID,
    /// MESSAGE_ADDED and REPLY_COMPLETED: the stored message.
    pub message: Option<ChatMessage>,
    /// REPLY_DELTA: the next piece of the reply's text.
    pub delta: Option<String>,
    /// REPLY_DELTA and REPLY_COMPLETED: the user's message being answered.
    pub reply_to_id: Option<ID>,
    /// REPLY_DELTA: the piece's number, from 0.
    pub sequence: Option<i32>,
}

impl ChatEvent {
    fn new(kind: ChatEventKind, session_id: i32) -> Self {
        Self {
            kind,
            session_id: ID::from(session_id.to_string()),
            message: None,
            delta: None,
            reply_to_id: None,
            sequence: None,
        }
    }
}

async fn load_message(hub: &EventHub, db: &DatabaseConnection, id: i32) -> Option<ChatMessage> {
    hub.message(db, id)
        .await
        .and_then(|row| ChatMessage::try_from(row).ok())
}

/// The event a notice becomes; `None` for notices of other sessions.
async fn event(
    hub: &EventHub,
    db: &DatabaseConnection,
    session_id: i32,
    notice: Notice,
) -> Option<ChatEvent> {
    if notice.session_id() != session_id {
        return None;
    }
    Some(match notice {
        Notice::Message { m, .. } => ChatEvent {
            message: Some(load_message(hub, db, m).await?),
            ..ChatEvent::new(ChatEventKind::MessageAdded, session_id)
        },
        Notice::Delta { r, n, d, .. } => ChatEvent {
            delta: Some(d),
            reply_to_id: Some(ID::from(r.to_string())),
            sequence: i32::try_from(n).ok(),
            ..ChatEvent::new(ChatEventKind::ReplyDelta, session_id)
        },
        Notice::Completed { r, m, .. } => ChatEvent {
            message: Some(load_message(hub, db, m).await?),
            reply_to_id: Some(ID::from(r.to_string())),
            ..ChatEvent::new(ChatEventKind::ReplyCompleted, session_id)
        },
        Notice::Ended { .. } | Notice::Deleted { .. } => {
            ChatEvent::new(ChatEventKind::SessionEnded, session_id)
        }
    })
}

#[derive(Default)]
pub struct ChatSubscription;

#[Subscription]
impl ChatSubscription {
    /// Live events of one of the caller's sessions, from whichever server they happen on.
    /// Events missed while disconnected are in `chatSession(id) { messages(after:) }`.
    async fn chat_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The session to follow.")] session_id: ID,
    ) -> Result<impl Stream<Item = ChatEvent> + use<>, AppError> {
        let viewer = viewer(ctx)?;
        let db = db(ctx).clone();
        // Subscribe before checking, so nothing between the check and the stream is missed.
        let hub = ctx.data_unchecked::<EventHub>().clone();
        let receiver = hub.subscribe();
        let session = service::find_own(&db, viewer.user.id, parse_id(&session_id)?).await?;
        if !session.is_active {
            return Err(AppError::Conflict("the chat session has ended".into()));
        }
        let id = session.id;
        Ok(stream::unfold(
            (receiver, db, hub, false),
            move |(mut receiver, db, hub, ended)| async move {
                if ended {
                    return None;
                }
                loop {
                    let notice = match receiver.recv().await {
                        Ok(notice) => notice,
                        Err(RecvError::Lagged(missed)) => {
                            tracing::warn!(missed, "a chat subscriber fell behind");
                            continue;
                        }
                        Err(RecvError::Closed) => return None,
                    };
                    let last =
                        matches!(notice, Notice::Ended { s } | Notice::Deleted { s } if s == id);
                    if let Some(event) = event(&hub, &db, id, notice).await {
                        return Some((event, (receiver, db, hub, last)));
                    }
                }
            },
        ))
    }
}
