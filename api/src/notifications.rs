//! The server's one `LISTEN` connection. Two channels arrive on it: `chat_events`
//! (`chat::events`: messages, reply deltas, ended sessions) and `auth_changes` (the id of an
//! account whose row or sessions changed, from migration 11's triggers: the session cache
//! forgets it).
//!
//! The session cache is on only while this connection is known to hear: after every
//! (re)connection a probe (a negative number, which names no account) is sent on
//! `auth_changes` through another connection, and the cache is switched on when the probe
//! arrives. A connection that LISTENs through a transaction pooler hears nothing, so there the
//! cache stays off (and `api doctor` fails the setup). Notifications sent while the connection
//! is down are lost, so the cache is emptied and switched off whenever the connection is lost.
//! Chat clients recover what they missed with `messages(after:)`.

use std::time::Duration;

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement,
    sqlx::{self, postgres::PgListener},
};
use tokio::{sync::watch, task::JoinHandle, time::Instant};

use crate::{chat::events::EventHub, services::SharedServices};

pub const AUTH_CHANNEL: &str = "auth_changes";

/// How long to wait before connecting again after a failure.
const RETRY: Duration = Duration::from_secs(1);
/// How long a probe may take to arrive before another is sent.
const PROBE_PATIENCE: Duration = Duration::from_secs(5);

/// Listens on `database_url` (a session, never a transaction pooler) until `shutdown` turns
/// true; probes are sent through `db`. Fails only if the first connection does.
pub async fn listen(
    database_url: &str,
    mut shutdown: watch::Receiver<bool>,
    events: EventHub,
    services: SharedServices,
    db: DatabaseConnection,
) -> Result<JoinHandle<()>, DbErr> {
    let failed = |e: sqlx::Error| DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e.into()));
    let mut listener = PgListener::connect(database_url).await.map_err(failed)?;
    listener
        .listen_all([crate::chat::events::CHANNEL, AUTH_CHANNEL])
        .await
        .map_err(failed)?;
    Ok(tokio::spawn(async move {
        let cache = &services.session_cache;
        let mut probe = Probe::send(&db).await;
        loop {
            let received = tokio::select! {
                received = listener.try_recv() => received,
                () = probe.overdue() => {
                    tracing::warn!("the LISTEN connection hears nothing (a transaction pooler? set DATABASE_DIRECT_URL); the session cache stays off");
                    probe = Probe::send(&db).await;
                    continue;
                }
                _ = shutdown.changed() => return,
            };
            match received {
                Ok(Some(notification)) if notification.channel() == AUTH_CHANNEL => {
                    if probe.answered_by(notification.payload()) {
                        probe = Probe::Answered;
                        cache.listening(true);
                    } else {
                        cache.notice(notification.payload());
                    }
                }
                Ok(Some(notification)) => events.deliver(notification.payload()),
                // Lost, and already connected and listening again: what was sent in between
                // is gone.
                Ok(None) => {
                    cache.listening(false);
                    tracing::warn!("the LISTEN connection was lost and is back");
                    probe = Probe::send(&db).await;
                }
                Err(err) => {
                    cache.listening(false);
                    tracing::error!(error = %err, "the LISTEN connection failed; reconnecting");
                    // The next `try_recv` drops a dead connection and connects again (then
                    // answering `None`, which probes again); the probe sent here covers an
                    // error that left the connection up.
                    tokio::select! {
                        () = tokio::time::sleep(RETRY) => {}
                        _ = shutdown.changed() => return,
                    }
                    probe = Probe::send(&db).await;
                }
            }
        }
    }))
}

/// Whether the connection has shown it hears.
enum Probe {
    /// Sent, not yet heard: the payload and when to give up waiting.
    Pending(String, Instant),
    Answered,
}

impl Probe {
    async fn send(db: &DatabaseConnection) -> Self {
        let payload = (-1 - i64::from(rand::random::<u32>() >> 1)).to_string();
        let statement = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [AUTH_CHANNEL.into(), payload.clone().into()],
        );
        if let Err(err) = db.execute_raw(statement).await {
            // Not heard, then: tried again when it is overdue.
            tracing::warn!(error = %err, "could not send the LISTEN probe");
        }
        Self::Pending(payload, Instant::now() + PROBE_PATIENCE)
    }

    fn answered_by(&self, payload: &str) -> bool {
        matches!(self, Self::Pending(sent, _) if sent == payload)
    }

    /// Resolves when a pending probe has waited too long; never when answered.
    async fn overdue(&self) {
        match self {
            Self::Pending(_, deadline) => tokio::time::sleep_until(*deadline).await,
            Self::Answered => std::future::pending().await,
        }
    }
}
