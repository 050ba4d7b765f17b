//! The GraphQL endpoint, following the GraphQL-over-HTTP specification.
//!
//! async-graphql-actix-web answers everything with status 200 and reads bodies without a cap,
//! so this handler replaces it:
//! - `Accept` picks `application/graphql-response+json` or `application/json` (the latter for
//!   `*/*` or no `Accept`); anything else is 406.
//! - POST needs `Content-Type: application/json` (415 otherwise) and a body within
//!   `GRAPHQL_BODY_LIMIT` (413 otherwise, refused from `Content-Length` before reading).
//! - GET runs queries only: a mutation or subscription over GET is 405.
//! - Under `application/graphql-response+json`, a request that fails before execution (bad
//!   JSON, syntax, validation, variable coercion) is 400 and has no `data`; under
//!   `application/json` such a GraphQL error is 200, as the specification asks.
//!
//! Every error carries `extensions.code` (see `error::finalize_errors`).

use actix_web::{
    HttpMessage, HttpRequest, HttpResponse,
    http::{StatusCode, header},
    web,
};
use async_graphql::{Request, Response, ServerError, Variables};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json, json};

use super::caller::{client_info, viewer};
use crate::{
    error::{self, code},
    schema::{self, RequestData},
    state::AppState,
};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
const APPLICATION_JSON: &str = "application/json";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ResponseKind {
    GraphqlResponseJson,
    Json,
}

impl ResponseKind {
    fn content_type(self) -> &'static str {
        match self {
            Self::GraphqlResponseJson => "application/graphql-response+json; charset=utf-8",
            Self::Json => "application/json; charset=utf-8",
        }
    }
}

pub async fn post(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let Some(kind) = negotiate(&req) else {
        return not_acceptable();
    };
    if matches!(req.mime_type(), Ok(Some(mime)) if mime.essence_str() == "multipart/form-data") {
        return super::multipart::post(&req, payload, &state, kind).await;
    }
    let json_body = matches!(req.mime_type(), Ok(Some(mime))
        if mime.essence_str() == APPLICATION_JSON
            && mime.get_param("charset").is_none_or(|c| c.as_str().eq_ignore_ascii_case("utf-8")));
    if !json_body {
        return request_error(
            kind,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "POST /graphql needs `Content-Type: application/json` (UTF-8), or multipart/form-data for uploads",
        );
    }
    let body = match read_body(&req, payload, state.settings.graphql_body_limit).await {
        Ok(body) => body,
        Err(response) => return response(kind),
    };
    if body.iter().all(u8::is_ascii_whitespace) {
        return request_error(kind, StatusCode::BAD_REQUEST, "the request body is empty");
    }
    match serde_json::from_slice::<PostBody>(&body) {
        Ok(body) => match body.into_request() {
            Ok(request) => execute(&req, &state, kind, request, Method::Post).await,
            Err(message) => request_error(kind, StatusCode::BAD_REQUEST, message),
        },
        Err(err) => request_error(
            kind,
            StatusCode::BAD_REQUEST,
            &format!("the body is not a GraphQL request: {err}"),
        ),
    }
}

/// A POST body. `query` is required here: async-graphql's own `Request` would default it to
/// an empty document and turn a malformed request into a GraphQL syntax error.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PostBody {
    /// Required, except for an automatic persisted query sent by its hash alone.
    query: Option<String>,
    operation_name: Option<String>,
    #[serde(default)]
    variables: Option<Map<String, Json>>,
    #[serde(default)]
    extensions: Option<Map<String, Json>>,
}

impl PostBody {
    fn into_request(self) -> Result<Request, &'static str> {
        let persisted = self
            .extensions
            .as_ref()
            .is_some_and(|e| e.contains_key("persistedQuery"));
        let query = match self.query {
            Some(query) => query,
            None if persisted => String::new(),
            None => return Err("the body is not a GraphQL request: missing field `query`"),
        };
        let mut request = Request::new(query);
        if let Some(name) = self.operation_name {
            request = request.operation_name(name);
        }
        if let Some(variables) = self.variables {
            request = request.variables(Variables::from_json(Json::Object(variables)));
        }
        add_extensions(&mut request, self.extensions.unwrap_or_default());
        Ok(request)
    }
}

fn add_extensions(request: &mut Request, extensions: Map<String, Json>) {
    for (key, value) in extensions {
        if let Ok(value) = async_graphql::Value::from_json(value) {
            request.extensions.insert(key, value);
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetParams {
    query: Option<String>,
    operation_name: Option<String>,
    variables: Option<String>,
    /// JSON, e.g. an automatic persisted query's `{"persistedQuery": {...}}`.
    extensions: Option<String>,
}

pub async fn get(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let Some(kind) = negotiate(&req) else {
        return not_acceptable();
    };
    let params = match web::Query::<GetParams>::from_query(req.query_string()) {
        Ok(params) => params.into_inner(),
        Err(err) => {
            return request_error(
                kind,
                StatusCode::BAD_REQUEST,
                &format!("invalid query string: {err}"),
            );
        }
    };
    let extensions = match params
        .extensions
        .as_deref()
        .map(serde_json::from_str::<Json>)
    {
        None => Map::new(),
        Some(Ok(Json::Object(extensions))) => extensions,
        Some(_) => {
            return request_error(
                kind,
                StatusCode::BAD_REQUEST,
                "`extensions` must be a JSON object",
            );
        }
    };
    let query = match params.query {
        Some(query) => query,
        None if extensions.contains_key("persistedQuery") => String::new(),
        None => {
            return request_error(
                kind,
                StatusCode::BAD_REQUEST,
                "the `query` parameter is missing",
            );
        }
    };
    let method = Method::Get {
        with_text: !query.is_empty(),
    };
    let mut request = Request::new(query);
    add_extensions(&mut request, extensions);
    if let Some(name) = params.operation_name {
        request = request.operation_name(name);
    }
    if let Some(variables) = params.variables {
        match serde_json::from_str::<Json>(&variables) {
            Ok(value @ (Json::Object(_) | Json::Null)) => {
                request = request.variables(Variables::from_json(value))
            }
            _ => {
                return request_error(
                    kind,
                    StatusCode::BAD_REQUEST,
                    "`variables` must be a JSON object",
                );
            }
        }
    }
    execute(&req, &state, kind, request, method).await
}

/// How the request came: GET runs queries only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Method {
    Post,
    /// `with_text`: the operation's text was sent (not only an APQ hash).
    Get {
        with_text: bool,
    },
}

const GET_RUNS_QUERIES_ONLY: &str = "only queries may be sent with GET; send mutations with POST";

pub(super) async fn execute(
    req: &HttpRequest,
    state: &AppState,
    kind: ResponseKind,
    request: Request,
    method: Method,
) -> HttpResponse {
    let started = std::time::Instant::now();
    let operation = request.operation_name.clone();
    let request = match &state.allow_list {
        Some(list) => match list.admit(request) {
            Ok(request) => request,
            Err(message) => return request_error(kind, StatusCode::BAD_REQUEST, message),
        },
        None => request,
    };
    let (request, document) = match state.documents.prepare(request) {
        Ok(prepared) => prepared,
        Err(error) => return refused(state, kind, operation.as_deref(), started, error),
    };
    let writes = document.selects_write(request.operation_name.as_deref());
    if let Method::Get { with_text } = method
        && !document.only_queries()
    {
        if with_text && writes {
            let mut response =
                request_error(kind, StatusCode::METHOD_NOT_ALLOWED, GET_RUNS_QUERIES_ONLY);
            response
                .headers_mut()
                .insert(header::ALLOW, header::HeaderValue::from_static("POST"));
            return response;
        }
        let error = ServerError::new(GET_RUNS_QUERIES_ONLY, None);
        return refused(state, kind, operation.as_deref(), started, error);
    }
    // Only worth recording with a replica: a session that wrote reads from the primary for a
    // while (`AppState::database_for`).
    let records_write = writes && state.read_db.is_some();
    let viewer = match viewer(req, state, records_write).await {
        Ok(viewer) => viewer,
        Err(err) => {
            tracing::error!(error = %error::error_chain(&err), "could not resolve the bearer token");
            return error_response(
                kind,
                StatusCode::SERVICE_UNAVAILABLE,
                code::INTERNAL,
                error::INTERNAL_MESSAGE,
            );
        }
    };
    let now = state.services.clock.now();
    let db = state.database_for(&viewer, writes, now);
    let links = viewer.0.as_ref().map(|v| {
        let key = &state.services.otp_key;
        super::links::for_request(req, &state.settings, key, v.user.id, now)
    });
    let data = RequestData {
        db,
        primary: &state.db,
        now,
        viewer,
        client: client_info(req, &state.settings.trusted_proxies),
        links,
    };
    let request = schema::prepare_request(request, data);
    let operation_name = request.operation_name.clone();
    let schema = if document.validated(operation_name.as_deref()) {
        &state.revalidated_schema
    } else {
        &state.schema
    };
    let limit = std::time::Duration::from_secs(state.settings.graphql_timeout_secs);
    let execution = Execution::spawn(schema.clone(), request);
    let Ok(response) = tokio::time::timeout(limit, execution).await else {
        state
            .metrics
            .observe(operation.as_deref(), started.elapsed(), &[code::INTERNAL]);
        // Stopping drops the work in hand: open transactions roll back. Work that must outlive
        // a request (a chat reply, a job) runs in tasks of its own and goes on.
        return error_response(
            kind,
            StatusCode::GATEWAY_TIMEOUT,
            code::INTERNAL,
            &format!(
                "the request took longer than {} s and was stopped",
                state.settings.graphql_timeout_secs
            ),
        );
    };
    let Ok(response) = response else {
        tracing::error!("a GraphQL execution panicked");
        return error_response(
            kind,
            StatusCode::INTERNAL_SERVER_ERROR,
            code::INTERNAL,
            error::INTERNAL_MESSAGE,
        );
    };
    if !failed_before_running(&response) {
        document.mark_validated(operation_name.as_deref());
    }
    finish(state, kind, operation.as_deref(), started, response)
}

/// Whether the request failed before any resolver ran (syntax, validation, limits, variables):
/// no data, and only errors without a path.
fn failed_before_running(response: &Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}

/// A GraphQL execution in a task of its own on the worker's runtime. Its resolvers wake it
/// dozens of times (each batch, each statement); in the HTTP handler's task every wake-up
/// also polled the connection's request decoder (actix-http), which costs more than the wake
/// itself. Dropped (the client went away, or the timeout struck), it stops the execution:
/// open transactions roll back, as they did when the execution ran inside the handler.
struct Execution(tokio::task::JoinHandle<Response>);

impl Execution {
    fn spawn(schema: crate::schema::ApiSchema, request: Request) -> Self {
        Self(tokio::spawn(async move { schema.execute(request).await }))
    }
}

impl std::future::Future for Execution {
    type Output = Result<Response, tokio::task::JoinError>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::pin::Pin::new(&mut self.0).poll(cx)
    }
}

impl Drop for Execution {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A request refused before it ran, answered as GraphQL errors of the request.
fn refused(
    state: &AppState,
    kind: ResponseKind,
    operation: Option<&str>,
    started: std::time::Instant,
    error: ServerError,
) -> HttpResponse {
    finish(
        state,
        kind,
        operation,
        started,
        Response::from_errors(vec![error]),
    )
}

/// Counts the response in the metrics and writes it out.
fn finish(
    state: &AppState,
    kind: ResponseKind,
    operation: Option<&str>,
    started: std::time::Instant,
    mut response: Response,
) -> HttpResponse {
    error::finalize_errors(&mut response.errors);
    let codes: Vec<&str> = response
        .errors
        .iter()
        .filter_map(|e| e.extensions.as_ref()?.get("code"))
        .filter_map(|code| match code {
            async_graphql::Value::String(code) => error::ErrorCode::ALL
                .iter()
                .map(|c| c.as_str())
                .find(|c| c == code),
            _ => None,
        })
        .collect();
    state.metrics.observe(operation, started.elapsed(), &codes);
    let request_failed = failed_before_running(&response);
    let status = if request_failed && kind == ResponseKind::GraphqlResponseJson {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let body = Body {
        data: (!request_failed).then_some(&response.data),
        errors: &response.errors,
        extensions: &response.extensions,
    };
    // A home screen is about 20 KB: start big enough that the buffer rarely regrows.
    let mut buffer = Vec::with_capacity(16 * 1024);
    match serde_json::to_writer(&mut buffer, &body).map(|()| buffer) {
        Ok(body) => HttpResponse::build(status)
            .content_type(kind.content_type())
            .body(body),
        Err(err) => {
            tracing::error!(error = %err, "could not serialise a GraphQL response");
            error_response(
                kind,
                StatusCode::INTERNAL_SERVER_ERROR,
                code::INTERNAL,
                error::INTERNAL_MESSAGE,
            )
        }
    }
}

/// A GraphQL response body, serialised straight from async-graphql's values (fields in the
/// order the query selected them).
#[derive(Serialize)]
struct Body<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a async_graphql::Value>,
    #[serde(skip_serializing_if = "<[ServerError]>::is_empty")]
    errors: &'a [ServerError],
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    extensions: &'a std::collections::BTreeMap<String, async_graphql::Value>,
}

/// Picks the response media type from `Accept`: the acceptable type with the highest q,
/// `application/graphql-response+json` on a tie; no header or a wildcard means JSON.
fn negotiate(req: &HttpRequest) -> Option<ResponseKind> {
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

type Refusal = Box<dyn FnOnce(ResponseKind) -> HttpResponse>;

/// Reads the body up to `limit` bytes; a larger one is refused as soon as it is known to be.
async fn read_body(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<web::BytesMut, Refusal> {
    let too_large = move || -> Refusal {
        Box::new(move |kind| {
            request_error(
                kind,
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("the request body exceeds {limit} bytes"),
            )
        })
    };
    let declared = super::declared_length(req).and_then(|len| usize::try_from(len).ok());
    if declared.is_some_and(|len| len > limit) {
        return Err(too_large());
    }
    let mut body = web::BytesMut::with_capacity(declared.unwrap_or(0).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|err| -> Refusal {
            let message = format!("the request body could not be read: {err}");
            Box::new(move |kind| request_error(kind, StatusCode::BAD_REQUEST, &message))
        })?;
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn not_acceptable() -> HttpResponse {
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

fn error_response(
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
