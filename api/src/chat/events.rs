//! Chat events across replicas: every change is announced with PostgreSQL `NOTIFY` on the
//! channel `chat_events`, inside the transaction that makes it (so it is delivered on commit,
//! never for a change that rolled back). Each server's one `LISTEN` connection
//! (`crate::notifications`) hands them to the hub, which fans
//! the notifications out to its subscribers through a broadcast channel; a subscriber sees only
//! its own session's events and loads the rows they name (once per server: concurrent
//! subscribers of a session share one load). Payloads carry ids (and the text of
//! a streamed reply delta, which is not a row); NOTIFY payloads stay far below PostgreSQL's
//! 8000-byte limit because deltas are sent in small pieces.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
};

use entity::chat_messages;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, Statement};
use serde::{Deserialize, Serialize};
use tokio::sync::{OnceCell, broadcast};

pub const CHANNEL: &str = "chat_events";
/// Events a slow subscriber may fall behind by before it misses some (it can catch up with
/// `messages(after:)`).
const BUFFER: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "k", rename_all = "snake_case")]
pub enum Notice {
    /// A message (user or assistant) was stored.
    Message { s: i32, m: i32 },
    /// A piece of the assistant's reply to user message `r`, number `n` of that reply.
    Delta { s: i32, r: i32, n: u32, d: String },
    /// The assistant's reply `m` to user message `r` is stored and complete.
    Completed { s: i32, r: i32, m: i32 },
    /// The session was ended.
    Ended { s: i32 },
    /// The session was deleted.
    Deleted { s: i32 },
}

impl Notice {
    pub fn session_id(&self) -> i32 {
        match self {
            Self::Message { s, .. }
            | Self::Delta { s, .. }
            | Self::Completed { s, .. }
            | Self::Ended { s }
            | Self::Deleted { s } => *s,
        }
    }
}

/// Announces `notice` (on commit, when `conn` is a transaction).
pub async fn notify(conn: &impl ConnectionTrait, notice: &Notice) -> Result<(), DbErr> {
    notify_all(conn, std::slice::from_ref(notice)).await
}

/// Announces `notices` in order, in one statement (on commit, when `conn` is a transaction).
pub async fn notify_all(conn: &impl ConnectionTrait, notices: &[Notice]) -> Result<(), DbErr> {
    conn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT count(pg_notify($1, payload)) FROM unnest($2::text[]) AS payload",
        [CHANNEL.into(), payloads(notices)?.into()],
    ))
    .await?;
    Ok(())
}

/// The NOTIFY payloads of `notices`.
pub fn payloads(notices: &[Notice]) -> Result<Vec<String>, DbErr> {
    notices
        .iter()
        .map(serde_json::to_string)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| DbErr::Custom(e.to_string()))
}

/// This server's end of the channel.
#[derive(Clone)]
pub struct EventHub {
    sender: broadcast::Sender<Notice>,
    rows: Arc<Mutex<HashMap<i32, RowCell>>>,
}

type RowCell = Arc<OnceCell<Option<chat_messages::Model>>>;

/// Rows kept for subscribers before the cache starts over (a few seconds of traffic).
const CACHED_ROWS: usize = 1024;

impl Default for EventHub {
    fn default() -> Self {
        Self::new()
    }
}

impl EventHub {
    /// The message row a notice names, loaded once per server however many subscribers of the
    /// session ask for it at the same time.
    pub async fn message(&self, db: &DatabaseConnection, id: i32) -> Option<chat_messages::Model> {
        let cell = {
            let mut rows = self.rows.lock().unwrap_or_else(PoisonError::into_inner);
            if rows.len() >= CACHED_ROWS && !rows.contains_key(&id) {
                rows.clear();
            }
            rows.entry(id).or_default().clone()
        };
        // A failed load is not kept: the next subscriber tries again.
        cell.get_or_try_init(|| chat_messages::Entity::find_by_id(id).one(db))
            .await
            .ok()
            .cloned()
            .flatten()
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Notice> {
        self.sender.subscribe()
    }

    /// Subscribers on this server right now.
    pub fn subscribers(&self) -> usize {
        self.sender.receiver_count()
    }

    /// A hub with no subscribers yet; `crate::notifications` hands it what arrives on
    /// `CHANNEL`.
    pub fn new() -> Self {
        let (sender, _) = broadcast::channel(BUFFER);
        Self {
            sender,
            rows: Arc::default(),
        }
    }

    /// Hands a notification of `CHANNEL` to this server's subscribers.
    pub fn deliver(&self, payload: &str) {
        match serde_json::from_str::<Notice>(payload) {
            // No subscriber on this server is not an error.
            Ok(notice) => drop(self.sender.send(notice)),
            Err(err) => tracing::warn!(error = %err, "malformed chat notification"),
        }
    }
}
