//! Who is calling: the account behind the bearer token and the client's address. Every HTTP
//! entry point (GraphQL, WebSocket, downloads, FHIR) asks here.

use std::net::IpAddr;

use actix_web::{HttpRequest, http::header};

use crate::{
    auth::token,
    context::{ClientInfo, MaybeViewer},
    state::AppState,
};

/// The caller behind the `Authorization` header; a missing, malformed or unknown token is
/// simply no caller (fields that need one answer UNAUTHENTICATED). Recently seen callers come
/// from memory (`auth::session_cache`).
pub async fn viewer(
    req: &HttpRequest,
    state: &AppState,
    records_write: bool,
) -> Result<MaybeViewer, sea_orm::DbErr> {
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(token::from_authorization);
    match token {
        Some(token) => Ok(MaybeViewer(
            state
                .services
                .session_cache
                .resolve(
                    &state.reads,
                    token,
                    state.services.clock.now(),
                    records_write,
                )
                .await?,
        )),
        None => Ok(MaybeViewer(None)),
    }
}

/// The client's address: the peer, or, when the peer is a trusted proxy, the nearest address
/// in `X-Forwarded-For` that is not itself a trusted proxy. And the user agent, bounded.
pub fn client_info(req: &HttpRequest, trusted_proxies: &[IpAddr]) -> ClientInfo {
    let peer = req.peer_addr().map(|addr| addr.ip());
    let ip = match peer {
        Some(peer) if trusted_proxies.contains(&peer) => req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|part| part.trim().parse::<IpAddr>().ok())
            .rev()
            .find(|ip| !trusted_proxies.contains(ip))
            .or(Some(peer)),
        other => other,
    };
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.chars().take(256).collect());
    ClientInfo { ip, user_agent }
}

/// The client's address for the audit log (the forwarded one behind a trusted proxy).
pub fn client_ip(req: &HttpRequest, state: &AppState) -> Option<IpAddr> {
    client_info(req, &state.settings.server.trusted_proxies).ip
}
