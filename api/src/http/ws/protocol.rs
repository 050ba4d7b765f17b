//! The graphql-transport-ws protocol's pieces: limits, close codes and payloads.

use actix_ws::{CloseCode, CloseReason, Session};
use async_graphql::Response;
use serde_json::{Value as Json, json};

pub const PROTOCOL: &str = "graphql-transport-ws";
pub(super) const MAX_MESSAGE_BYTES: usize = 1024 * 1024;
/// Longest operation id accepted (ids are kept per connection and echoed in close reasons).
pub(super) const MAX_ID_BYTES: usize = 64;

/// What subscription tasks hand back to the connection.
pub(super) enum Outgoing {
    Send(Json),
    /// The subscription (id, generation) ended on its own; its id is free again.
    Finished(String, u64),
}

/// Closes with `code`; the reason is cut to the 123 bytes a close frame can carry.
pub(super) async fn close(session: Session, code: u16, reason: &str) {
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    let _ = session
        .close(Some(CloseReason {
            code: CloseCode::Other(code),
            description: Some(reason[..end].to_owned()),
        }))
        .await;
}

/// Why the connection closes, as the protocol names it.
pub(super) struct Closing(pub u16, pub String);

pub(super) fn invalid(why: &str) -> Closing {
    Closing(4400, why.to_owned())
}

pub(super) fn failed_before_data(response: &Response) -> bool {
    response.data == async_graphql::Value::Null && !response.errors.is_empty()
}

pub(super) fn payload_of(response: &Response) -> Json {
    let mut payload = json!({ "data": response.data });
    if !response.errors.is_empty() {
        payload["errors"] = json!(response.errors);
    }
    payload
}
