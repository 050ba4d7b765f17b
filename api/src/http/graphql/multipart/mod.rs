//! GraphQL multipart requests (the GraphQL multipart request specification) for uploads.
//!
//! The body is streamed into our multipart reader ([`form`]), which spools each file to an
//! anonymous temporary file. Limits cut the request off early instead of buffering it:
//! a `Content-Length` over the limit is refused before reading, and a body that grows past it
//! while streaming is cut off there (413 in both cases); a single file over
//! `UPLOAD_MAX_BYTES` is refused by the reader. At most two files per request.
//!
//! No CSRF token is needed: the API authenticates with a bearer header, which a cross-site
//! form cannot send.

use std::{
    io,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
};

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, http::header, web};
use futures_util::{StreamExt, stream};
use tokio::sync::mpsc;

use super::{
    execute::{Method, execute},
    response::{ResponseKind, request_error},
};
use crate::{config::Settings, error::error_chain, state::AppState};

mod form;

const MAX_FILES: usize = 2;

/// The largest multipart body accepted: the files, and room for the operations, the map and
/// the part headers besides them. Also the largest body of any request (`body_timeout`).
pub(in crate::http) fn largest_body(settings: &Settings) -> u64 {
    (settings.storage.upload_max_bytes as u64).saturating_mul(MAX_FILES as u64)
        + settings.graphql.graphql_body_limit as u64
}

pub(super) async fn post(
    req: &HttpRequest,
    mut payload: web::Payload,
    state: &AppState,
    kind: ResponseKind,
) -> HttpResponse {
    let limit = largest_body(&state.settings);
    let declared = crate::http::declared_length(req);
    if declared.is_some_and(|len| len > limit) {
        return too_large(kind, state);
    }

    // actix's payload is not `Send`; a local task forwards it through a channel, counting.
    let (sender, receiver) = mpsc::channel::<io::Result<web::Bytes>>(8);
    let over_limit = Arc::new(AtomicBool::new(false));
    let flag = over_limit.clone();
    actix_web::rt::spawn(async move {
        let mut total = 0u64;
        while let Some(chunk) = payload.next().await {
            let item = chunk.map_err(io::Error::other).and_then(|bytes| {
                total += bytes.len() as u64;
                if total > limit {
                    flag.store(true, Ordering::SeqCst);
                    Err(io::Error::other("the request body is too large"))
                } else {
                    Ok(bytes)
                }
            });
            let stop = item.is_err();
            if sender.send(item).await.is_err() || stop {
                break;
            }
        }
    });
    let body = stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|item| (item, receiver))
    });

    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let limits = form::Limits {
        operations_bytes: state.settings.graphql.graphql_body_limit as u64,
        file_bytes: state.settings.storage.upload_max_bytes as u64,
        files: MAX_FILES,
    };
    match form::read(content_type, body, limits).await {
        Ok(request) => execute(req, state, kind, request, Method::Post).await,
        Err(_) if over_limit.load(Ordering::SeqCst) => too_large(kind, state),
        Err(form::FormError::TooLarge) => too_large(kind, state),
        Err(form::FormError::Invalid(why)) => request_error(
            kind,
            StatusCode::BAD_REQUEST,
            &format!("the multipart request is not valid: {why}"),
        ),
        Err(form::FormError::Storage(err)) => {
            tracing::error!(error = %error_chain(&err), "could not spool an upload");
            request_error(
                kind,
                StatusCode::SERVICE_UNAVAILABLE,
                "the upload could not be stored; try again",
            )
        }
    }
}

fn too_large(kind: ResponseKind, state: &AppState) -> HttpResponse {
    request_error(
        kind,
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!(
            "the upload exceeds {} bytes",
            state.settings.storage.upload_max_bytes
        ),
    )
}
