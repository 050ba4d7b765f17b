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

mod execute;
mod multipart;
mod response;

use actix_web::{HttpMessage, HttpRequest, HttpResponse, http::StatusCode, web};
use async_graphql::{Request, Variables};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{Map, Value as Json};

use crate::state::AppState;

pub(super) use self::multipart::largest_body;
use self::{
    execute::{Method, execute},
    response::{APPLICATION_JSON, ResponseKind, negotiate, not_acceptable, request_error},
};

pub async fn post(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let Some(kind) = negotiate(&req) else {
        return not_acceptable();
    };
    if matches!(req.mime_type(), Ok(Some(mime)) if mime.essence_str() == "multipart/form-data") {
        return multipart::post(&req, payload, &state, kind).await;
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
    let body = match read_body(&req, payload, state.settings.graphql.graphql_body_limit).await {
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
    let declared = crate::http::declared_length(req).and_then(|len| usize::try_from(len).ok());
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
