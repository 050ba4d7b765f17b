//! HTTP endpoints and middleware.

pub mod body_timeout;
pub mod caller;
pub mod fhir;
pub mod files;
pub mod graphiql;
pub mod graphql;
pub mod health;
pub mod links;
pub mod metrics;
pub mod request_id;
pub mod security;
pub mod unsubscribe;
pub mod ws;

/// The body length a request declares in `Content-Length`, when it declares a valid one.
pub(crate) fn declared_length(req: &actix_web::HttpRequest) -> Option<u64> {
    req.headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}
