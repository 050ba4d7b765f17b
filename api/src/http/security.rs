//! Browser-facing protections on every response.
//!
//! - CORS: only origins in `CORS_ALLOWED_ORIGINS` (none by default) get CORS headers, for
//!   GET/POST with `Authorization` and `Content-Type`; a request from another origin is served
//!   without them, so a browser does not hand the response to that page. Credentials are never
//!   allowed (the API uses bearer tokens, not cookies).
//! - Headers: `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`,
//!   `X-Frame-Options: DENY` and a Content-Security-Policy that allows nothing (API responses
//!   are data, never pages); `/graphiql` sends its own policy, which allows this origin only
//!   (`http::graphiql`).

use actix_cors::Cors;
use actix_web::{http::header, middleware::DefaultHeaders};

pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// Whether `origin` is in the allow-list (case-insensitive; a trailing `/` and surrounding
/// spaces in the configured entries are ignored). Used by CORS and the WebSocket upgrade.
pub fn origin_allowed(allowed: &[String], origin: &str) -> bool {
    allowed
        .iter()
        .any(|a| a.trim().trim_end_matches('/').eq_ignore_ascii_case(origin))
}

/// Request headers GraphQL clients send besides the standard ones: Apollo Client's client
/// awareness and CSRF-prevention headers, and W3C trace context. `CORS_ALLOWED_HEADERS`
/// replaces the list.
pub const CLIENT_HEADERS: [&str; 6] = [
    "apollographql-client-name",
    "apollographql-client-version",
    "apollo-require-preflight",
    "x-apollo-operation-name",
    "traceparent",
    "tracestate",
];

/// CORS for the `allowed` origins: GET and POST with `Authorization`, `Content-Type`,
/// `Accept` and the `extra_headers`; no credentials (bearer tokens, not cookies).
pub fn cors(allowed: &[String], extra_headers: &[String]) -> Cors {
    let allowed = allowed.to_vec();
    let headers = [header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT]
        .into_iter()
        .chain(
            extra_headers
                .iter()
                .filter_map(|name| header::HeaderName::try_from(name.trim()).ok()),
        );
    Cors::default()
        .allowed_origin_fn(move |origin, _| {
            origin
                .to_str()
                .is_ok_and(|origin| origin_allowed(&allowed, origin))
        })
        .allowed_methods(["GET", "POST"])
        .allowed_headers(headers)
        .expose_headers([header::HeaderName::from_static("x-request-id")])
        .max_age(3600)
}

pub fn headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::CONTENT_SECURITY_POLICY, API_CSP))
}
