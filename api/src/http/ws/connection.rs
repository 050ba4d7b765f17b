//! One WebSocket connection: the protocol's state machine, its subscriptions and the
//! periodic check of the session behind its token.

use std::{collections::HashMap, time::Duration};

use actix_ws::{AggregatedMessage, Session};
use async_graphql::{Request, Variables};
use futures_util::StreamExt;
use serde_json::{Map, Value as Json, json};
use tokio::sync::mpsc;

use crate::{
    auth::{service::resolve_token, token},
    context::{ClientInfo, MaybeViewer},
    error,
    schema::{self, RequestData},
    state::AppState,
};

use super::protocol::{
    Closing, MAX_ID_BYTES, MAX_MESSAGE_BYTES, Outgoing, close, failed_before_data, invalid,
    payload_of,
};

pub(super) struct Connection {
    pub(super) state: std::sync::Arc<AppState>,
    pub(super) client: ClientInfo,
    /// Where download links of this connection's answers start.
    pub(super) base_url: String,
    pub(super) session: Session,
    /// Set by an accepted `connection_init`.
    pub(super) viewer: Option<MaybeViewer>,
    /// The bearer token of `connection_init`, checked again every `WS_REAUTH_INTERVAL_SECS`.
    pub(super) token: Option<String>,
    pub(super) initialised: bool,
    /// Running operations by id, with a generation so a stale "finished" cannot remove a newer
    /// operation that reuses the id.
    pub(super) subscriptions: HashMap<String, (u64, tokio::task::JoinHandle<()>)>,
    pub(super) generation: u64,
}

impl Connection {
    pub(super) async fn run(mut self, stream: actix_ws::MessageStream) {
        let mut stream = stream
            .max_frame_size(MAX_MESSAGE_BYTES)
            .aggregate_continuations()
            .max_continuation_size(MAX_MESSAGE_BYTES);
        let (out, mut outgoing) = mpsc::unbounded_channel::<Outgoing>();
        let init_timeout = tokio::time::sleep(Duration::from_secs(
            self.state.settings.graphql.ws_init_timeout_secs,
        ));
        tokio::pin!(init_timeout);
        let mut reauth = tokio::time::interval(Duration::from_secs(
            self.state.settings.graphql.ws_reauth_interval_secs.max(1),
        ));
        reauth.tick().await;
        let closing = loop {
            tokio::select! {
                _ = &mut init_timeout, if !self.initialised => {
                    break Some(Closing(4408, "Connection initialisation timeout".into()));
                }
                _ = reauth.tick(), if self.viewer.is_some() => {
                    // A session signed out, revoked or expired ends its open sockets too.
                    if let Err(closing) = self.still_signed_in().await {
                        break Some(closing);
                    }
                }
                message = stream.recv() => {
                    let outcome = match message {
                        Some(Ok(AggregatedMessage::Text(text))) => self.on_text(&text, &out).await,
                        Some(Ok(AggregatedMessage::Binary(_))) => Err(invalid("binary messages are not part of the protocol")),
                        Some(Ok(AggregatedMessage::Ping(bytes))) => {
                            let _ = self.session.pong(&bytes).await;
                            Ok(())
                        }
                        Some(Ok(AggregatedMessage::Pong(_))) => Ok(()),
                        Some(Ok(AggregatedMessage::Close(_))) | None => break None,
                        Some(Err(_)) => Err(invalid("the WebSocket frame is invalid or too large")),
                    };
                    if let Err(closing) = outcome {
                        break Some(closing);
                    }
                }
                Some(item) = outgoing.recv() => match item {
                    Outgoing::Send(message) => {
                        if self.session.text(message.to_string()).await.is_err() {
                            break None;
                        }
                    }
                    Outgoing::Finished(id, generation) => {
                        if self.subscriptions.get(&id).is_some_and(|(g, _)| *g == generation) {
                            self.subscriptions.remove(&id);
                        }
                    }
                },
            }
        };
        for (_, (_, task)) in self.subscriptions.drain() {
            task.abort();
        }
        match closing {
            Some(Closing(code, reason)) => close(self.session, code, &reason).await,
            None => {
                let _ = self.session.close(None).await;
            }
        }
    }

    async fn send(&mut self, message: Json) -> Result<(), Closing> {
        self.session
            .text(message.to_string())
            .await
            .map_err(|_| Closing(1000, String::new()))
    }

    async fn on_text(
        &mut self,
        text: &str,
        out: &mpsc::UnboundedSender<Outgoing>,
    ) -> Result<(), Closing> {
        let message: Map<String, Json> = match serde_json::from_str(text) {
            Ok(Json::Object(message)) => message,
            _ => return Err(invalid("Invalid message received")),
        };
        let kind = message
            .get("type")
            .and_then(Json::as_str)
            .unwrap_or_default();
        match kind {
            "connection_init" => self.on_init(message.get("payload")).await,
            "ping" => {
                let mut pong = json!({ "type": "pong" });
                if let Some(payload) = message.get("payload").filter(|p| p.is_object()) {
                    pong["payload"] = payload.clone();
                }
                self.send(pong).await
            }
            "pong" => Ok(()),
            "subscribe" => self.on_subscribe(&message, out),
            "complete" => {
                let id = message
                    .get("id")
                    .and_then(Json::as_str)
                    .ok_or_else(|| invalid("`complete` needs an id"))?;
                if let Some((_, task)) = self.subscriptions.remove(id) {
                    task.abort();
                }
                Ok(())
            }
            _ => Err(invalid("Invalid message received")),
        }
    }

    async fn on_init(&mut self, payload: Option<&Json>) -> Result<(), Closing> {
        if self.initialised {
            return Err(Closing(4429, "Too many initialisation requests".into()));
        }
        self.initialised = true;
        let payload = match payload {
            None | Some(Json::Null) => None,
            Some(Json::Object(payload)) => Some(payload),
            Some(_) => return Err(invalid("the connection_init payload must be an object")),
        };
        let token = payload
            .and_then(|p| p.get("authorization").or_else(|| p.get("Authorization")))
            .and_then(Json::as_str)
            .and_then(token::from_authorization);
        let Some(token) = token else {
            return Err(Closing(4403, "Forbidden".into()));
        };
        let now = self.state.services.clock.now();
        match resolve_token(&self.state.db, token, now, false).await {
            Ok(Some(viewer)) => {
                self.viewer = Some(MaybeViewer(Some(viewer)));
                self.token = Some(token.to_owned());
                self.send(json!({ "type": "connection_ack" })).await
            }
            Ok(None) => Err(Closing(4403, "Forbidden".into())),
            Err(err) => {
                tracing::error!(error = %error::error_chain(&err), "could not resolve a WebSocket token");
                Err(Closing(1011, "Internal error".into()))
            }
        }
    }

    async fn still_signed_in(&mut self) -> Result<(), Closing> {
        let Some(token) = self.token.as_deref() else {
            return Ok(());
        };
        let now = self.state.services.clock.now();
        match resolve_token(&self.state.db, token, now, false).await {
            Ok(Some(viewer)) => {
                self.viewer = Some(MaybeViewer(Some(viewer)));
                Ok(())
            }
            Ok(None) => Err(Closing(4403, "Forbidden".into())),
            // A database hiccup is not a reason to drop a signed-in client.
            Err(err) => {
                tracing::warn!(error = %error::error_chain(&err), "could not re-check a WebSocket session");
                Ok(())
            }
        }
    }

    fn on_subscribe(
        &mut self,
        message: &Map<String, Json>,
        out: &mpsc::UnboundedSender<Outgoing>,
    ) -> Result<(), Closing> {
        let Some(viewer) = self.viewer.clone() else {
            return Err(Closing(4401, "Unauthorized".into()));
        };
        let id = message
            .get("id")
            .and_then(Json::as_str)
            .filter(|id| (1..=MAX_ID_BYTES).contains(&id.len()))
            .ok_or_else(|| invalid("`subscribe` needs an id of 1 to 64 bytes"))?
            .to_owned();
        let payload = message
            .get("payload")
            .and_then(Json::as_object)
            .ok_or_else(|| invalid("`subscribe` needs a payload"))?;
        let query = payload
            .get("query")
            .and_then(Json::as_str)
            .ok_or_else(|| invalid("`subscribe` needs payload.query"))?;
        if self.subscriptions.contains_key(&id) {
            return Err(Closing(4409, format!("Subscriber for {id} already exists")));
        }
        let mut request = Request::new(query);
        if let Some(name) = payload.get("operationName").and_then(Json::as_str) {
            request = request.operation_name(name);
        }
        match payload.get("variables") {
            None | Some(Json::Null) => {}
            Some(variables @ Json::Object(_)) => {
                request = request.variables(Variables::from_json(variables.clone()));
            }
            Some(_) => return Err(invalid("payload.variables must be an object")),
        }
        let request = match &self.state.allow_list {
            Some(list) => match list.admit(request) {
                Ok(request) => request,
                Err(message) => {
                    let error = json!({ "id": id, "type": "error", "payload": [
                        { "message": message, "extensions": { "code": "BAD_USER_INPUT" } }
                    ] });
                    let _ = out.send(Outgoing::Send(error));
                    return Ok(());
                }
            },
            None => request,
        };
        let request = match self.state.documents.prepare(request) {
            Ok((request, _)) => request,
            Err(error) => {
                let mut errors = vec![error];
                error::finalize_errors(&mut errors);
                let error = json!({ "id": id, "type": "error", "payload": errors });
                let _ = out.send(Outgoing::Send(error));
                return Ok(());
            }
        };
        let now = self.state.services.clock.now();
        let links = viewer.0.as_ref().map(|v| {
            crate::http::links::Links::new(
                self.state.services.otp_key.clone(),
                &self.base_url,
                v.user.id,
                now,
                self.state.settings.storage.download_link_ttl_secs,
            )
        });
        let data = RequestData {
            db: &self.state.reads,
            primary: &self.state.db,
            now,
            viewer,
            client: self.client.clone(),
            links,
        };
        let request = schema::prepare_request(request, data);
        let schema = self.state.schema.clone();
        let out = out.clone();
        let task_id = id.clone();
        self.generation += 1;
        let generation = self.generation;
        let task = tokio::spawn(async move {
            let mut responses = schema.execute_stream(request);
            let mut first = true;
            while let Some(mut response) = responses.next().await {
                error::finalize_errors(&mut response.errors);
                let message = if first && failed_before_data(&response) {
                    // `error` ends the operation: no `complete` follows.
                    let _ = out.send(Outgoing::Send(json!({
                        "id": task_id, "type": "error", "payload": response.errors,
                    })));
                    let _ = out.send(Outgoing::Finished(task_id, generation));
                    return;
                } else {
                    json!({ "id": task_id, "type": "next", "payload": payload_of(&response) })
                };
                first = false;
                if out.send(Outgoing::Send(message)).is_err() {
                    return;
                }
            }
            let _ = out.send(Outgoing::Send(json!({ "id": task_id, "type": "complete" })));
            let _ = out.send(Outgoing::Finished(task_id, generation));
        });
        self.subscriptions.insert(id, (generation, task));
        Ok(())
    }
}
