//! Running one GraphQL request: the allow-list, the document cache, the operation limits,
//! the execution in a task of its own, and the response with its metrics.

use actix_web::{
    HttpRequest, HttpResponse,
    http::{StatusCode, header},
};
use async_graphql::{Request, Response, ServerError};
use serde::Serialize;

use super::response::{ResponseKind, error_response, request_error};
use crate::{
    error::{self, code},
    http::caller::{client_info, viewer},
    schema::{self, RequestData},
    state::AppState,
};

/// How the request came: GET runs queries only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Method {
    Post,
    /// `with_text`: the operation's text was sent (not only an APQ hash).
    Get {
        with_text: bool,
    },
}

pub(super) const GET_RUNS_QUERIES_ONLY: &str =
    "only queries may be sent with GET; send mutations with POST";

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
    let viewer_id = viewer.0.as_ref().map(|v| v.user.id);
    let now = state.services.clock.now();
    let db = state.database_for(&viewer, writes, now);
    let links = viewer.0.as_ref().map(|v| {
        let key = &state.services.otp_key;
        crate::http::links::for_request(req, &state.settings, key, v.user.id, now)
    });
    let data = RequestData {
        db,
        primary: &state.db,
        now,
        viewer,
        client: client_info(req, &state.settings.server.trusted_proxies),
        links,
    };
    let request = schema::prepare_request(request, data);
    let operation_name = request.operation_name.clone();
    let schema = if document.validated(operation_name.as_deref()) {
        &state.revalidated_schema
    } else {
        &state.schema
    };
    let limit = std::time::Duration::from_secs(state.settings.graphql.graphql_timeout_secs);
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
                state.settings.graphql.graphql_timeout_secs
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
    // A mutation may have changed the caller's own account or sessions (signed out, changed
    // the password): its next request must not be answered from what this server kept, even
    // before the change's notice arrives (`auth::session_cache`).
    if writes && let Some(user_id) = viewer_id {
        state.services.session_cache.forget_user(user_id);
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
