//! The response's media type (`Accept` negotiation) and the errors answered before a request
//! runs.

use actix_web::{
    HttpRequest, HttpResponse,
    http::{StatusCode, header},
};
use serde_json::{Value as Json, json};

use crate::error::code;

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
pub(super) const APPLICATION_JSON: &str = "application/json";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ResponseKind {
    GraphqlResponseJson,
    Json,
}

impl ResponseKind {
    pub(super) fn content_type(self) -> &'static str {
        match self {
            Self::GraphqlResponseJson => "application/graphql-response+json; charset=utf-8",
            Self::Json => "application/json; charset=utf-8",
        }
    }
}

/// Picks the response media type from `Accept`: the acceptable type with the highest q,
/// `application/graphql-response+json` on a tie; no header or a wildcard means JSON.
pub(super) fn negotiate(req: &HttpRequest) -> Option<ResponseKind> {
    negotiate_accept(
        req.headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok()),
    )
}

/// [`negotiate`] on the header's text (`None`: no header, or one that is not visible ASCII).
fn negotiate_accept(accept: Option<&str>) -> Option<ResponseKind> {
    let Some(accept) = accept else {
        return Some(ResponseKind::Json);
    };
    let mut best: Option<(f32, ResponseKind)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()))
            .next()
            .unwrap_or(1.0);
        let kind = match media.as_str() {
            GRAPHQL_RESPONSE_JSON => ResponseKind::GraphqlResponseJson,
            APPLICATION_JSON | "application/*" | "*/*" => ResponseKind::Json,
            _ => continue,
        };
        let better = match best {
            None => true,
            Some((best_q, best_kind)) => {
                q > best_q
                    || (q == best_q
                        && kind == ResponseKind::GraphqlResponseJson
                        && best_kind != kind)
            }
        };
        if q > 0.0 && better {
            best = Some((q, kind));
        }
    }
    best.map(|(_, kind)| kind)
}

pub(super) fn not_acceptable() -> HttpResponse {
    let message = "`Accept` allows neither application/graphql-response+json nor application/json";
    error_response(
        ResponseKind::Json,
        StatusCode::NOT_ACCEPTABLE,
        code::BAD_USER_INPUT,
        message,
    )
}

/// A request that was refused before execution: the client's to fix.
pub(super) fn request_error(kind: ResponseKind, status: StatusCode, message: &str) -> HttpResponse {
    error_response(kind, status, code::BAD_USER_INPUT, message)
}

pub(super) fn error_response(
    kind: ResponseKind,
    status: StatusCode,
    code: &str,
    message: &str,
) -> HttpResponse {
    respond(
        kind,
        status,
        &json!({ "errors": [{ "message": message, "extensions": { "code": code } }] }),
    )
}

fn respond(kind: ResponseKind, status: StatusCode, body: &Json) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(kind.content_type())
        .body(body.to_string())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// One media range of an `Accept` header, as clients write them and as they should not.
    fn media_range() -> impl Strategy<Value = String> {
        let media = prop_oneof![
            Just(GRAPHQL_RESPONSE_JSON.to_owned()),
            Just(APPLICATION_JSON.to_owned()),
            Just("Application/JSON".to_owned()),
            Just("*/*".to_owned()),
            Just("application/*".to_owned()),
            Just("text/html".to_owned()),
            "[a-z*]{0,8}/[a-z+*.-]{0,12}",
        ];
        let q = prop_oneof![
            Just(String::new()),
            (0u16..=1000).prop_map(|q| format!(";q={}", f32::from(q) / 1000.0)),
            "(;[ a-z=0-9.-]{0,8}){0,2}",
            Just(";q=NaN".to_owned()),
            Just(";q=inf".to_owned()),
            Just(";q=-1".to_owned()),
        ];
        (media, q).prop_map(|(media, q)| format!("{media}{q}"))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(10_000))]

        #[test]
        fn any_accept_header_gets_an_answer_without_panicking(accept in "\\PC{0,200}") {
            let _ = negotiate_accept(Some(&accept));
        }

        #[test]
        fn the_order_of_media_ranges_never_changes_the_choice(
            ranges in proptest::collection::vec(media_range(), 0..6),
            rotate in 0usize..6,
        ) {
            let header = ranges.join(", ");
            let mut turned = ranges.clone();
            if !turned.is_empty() {
                let by = rotate % turned.len();
                turned.rotate_left(by);
            }
            let mut reversed = ranges.clone();
            reversed.reverse();
            let choice = negotiate_accept(Some(&header));
            prop_assert_eq!(choice, negotiate_accept(Some(&turned.join(","))));
            prop_assert_eq!(choice, negotiate_accept(Some(&reversed.join(" , "))));
        }

        #[test]
        fn a_type_preferred_above_the_rest_is_chosen_and_q0_never(
            others in proptest::collection::vec(
                (prop_oneof![Just("application/json"), Just("*/*"), Just("text/plain")], 0u16..=900),
                0..4,
            ),
        ) {
            let rest: Vec<String> = others
                .iter()
                .map(|(media, q)| format!("{media};q={}", f32::from(*q) / 1000.0))
                .collect();
            let preferred = format!("{GRAPHQL_RESPONSE_JSON};q=0.95, {}", rest.join(", "));
            prop_assert_eq!(negotiate_accept(Some(&preferred)), Some(ResponseKind::GraphqlResponseJson));
            let refused = format!("{GRAPHQL_RESPONSE_JSON};q=0, application/json;q=0, */*;q=0, {}",
                rest.iter().filter(|r| r.starts_with("text/")).cloned().collect::<Vec<_>>().join(","));
            prop_assert_eq!(negotiate_accept(Some(&refused)), None);
        }
    }

    #[test]
    fn no_header_means_json_and_ties_go_to_the_graphql_media_type() {
        assert_eq!(negotiate_accept(None), Some(ResponseKind::Json));
        assert_eq!(
            negotiate_accept(Some("application/json, application/graphql-response+json")),
            Some(ResponseKind::GraphqlResponseJson)
        );
        assert_eq!(negotiate_accept(Some("text/html")), None);
    }
}
