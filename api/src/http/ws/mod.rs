//! GraphQL over WebSocket at `/graphql/ws`, speaking `graphql-transport-ws` (the graphql-ws
//! protocol) to the letter, in place of async-graphql's handler, which departs from it:
//!
//! - The subprotocol must be offered; otherwise the socket closes with 4406.
//! - `connection_init` must come within `WS_INIT_TIMEOUT_SECS` (4408 otherwise), once (4429 for
//!   a second), with `{ "authorization": "Bearer <token>" }` (4403 when missing or invalid);
//!   the server answers `connection_ack`.
//! - `subscribe` before the ack closes with 4401; a second `subscribe` with an id still in use
//!   closes with 4409; anything unparseable or out of place closes with 4400.
//! - A request that fails before producing data (validation, or a resolver refusing, such as
//!   NOT_FOUND for another user's session) gets an `error` message; otherwise `next` messages
//!   and a final `complete`. A client `complete` stops its subscription. `ping` gets `pong`.
//! - A browser's `Origin` must be this server's own (GraphiQL) or in `CORS_ALLOWED_ORIGINS`
//!   (403 before the upgrade).
//! - The session behind the token is checked again every `WS_REAUTH_INTERVAL_SECS`; once it
//!   is signed out, revoked or expired, the socket closes with 4403.

mod connection;
mod protocol;

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, http::header, web};

use super::caller::client_info;
use crate::state::AppState;

pub use self::protocol::PROTOCOL;
use self::{connection::Connection, protocol::close};

pub async fn ws(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, actix_web::Error> {
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        let allowed = origin.to_str().is_ok_and(|origin| {
            same_host(&req, origin)
                || super::security::origin_allowed(
                    &state.settings.server.cors_allowed_origins,
                    origin,
                )
        });
        if !allowed {
            return Ok(HttpResponse::Forbidden()
                .content_type("text/plain; charset=utf-8")
                .body("this origin is not allowed"));
        }
    }
    let offered = req
        .headers()
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim() == PROTOCOL);
    let (response, session, stream) = actix_ws::handle_with_protocols(&req, body, &[PROTOCOL])?;
    let client = client_info(&req, &state.settings.server.trusted_proxies);
    let base_url = super::links::base_url(&req, state.settings.server.public_base_url.as_deref());
    let state = state.into_inner();
    actix_web::rt::spawn(async move {
        if !offered {
            close(session, 4406, "Subprotocol not acceptable").await;
            return;
        }
        Connection {
            state,
            client,
            base_url,
            session,
            viewer: None,
            token: None,
            initialised: false,
            subscriptions: HashMap::new(),
            generation: 0,
        }
        .run(stream)
        .await;
    });
    Ok(response)
}

/// Whether a browser's `Origin` is this server itself (GraphiQL's page): its host and port
/// are the request's `Host`. A page of another site cannot claim that, since browsers set
/// `Origin` themselves; the scheme is left out, so it holds behind a TLS-terminating proxy.
fn same_host(req: &HttpRequest, origin: &str) -> bool {
    let Some(host) = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
    else {
        return false;
    };
    origin
        .split_once("://")
        .is_some_and(|(_, origin_host)| origin_host.eq_ignore_ascii_case(host))
}
