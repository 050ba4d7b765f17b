//! `GET /metrics`: Prometheus text exposition (see `crate::metrics`). With `METRICS_TOKEN`
//! set, the scraper must send it as a bearer token; without it the endpoint is open, for a
//! private network only.

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use subtle::ConstantTimeEq;

use crate::{auth::token, error::error_chain, state::AppState};

pub async fn metrics(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    if let Some(expected) = state.settings.server.metrics_token.as_deref() {
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(token::from_authorization)
            .unwrap_or_default();
        if !bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
            return HttpResponse::Unauthorized()
                .insert_header((header::WWW_AUTHENTICATE, "Bearer"))
                .finish();
        }
    }
    // Requests use the HTTP workers' pools; count them all.
    let pool = state
        .worker_pools
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .iter()
        .map(|reads| {
            let pool = reads.connection().get_postgres_connection_pool();
            let (read_size, read_idle) = reads.size_and_idle();
            (pool.size() + read_size, pool.num_idle() + read_idle)
        })
        .fold((0, 0), |(size, idle), (s, i)| (size + s, idle + i));
    let jobs = state
        .db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT count(*) FILTER (WHERE status = 'queued') AS queued, \
             count(*) FILTER (WHERE status = 'running') AS running FROM jobs",
        ))
        .await
        .ok()
        .flatten()
        .map(|row| {
            (
                row.try_get::<i64>("", "queued").unwrap_or(0),
                row.try_get::<i64>("", "running").unwrap_or(0),
            )
        })
        .unwrap_or((0, 0));
    match state.metrics.render(
        pool,
        jobs,
        state.events.subscribers(),
        state.db_stats.statements(),
        state
            .services
            .job_polls
            .load(std::sync::atomic::Ordering::Relaxed),
    ) {
        Ok(text) => HttpResponse::Ok()
            .content_type("text/plain; version=0.0.4; charset=utf-8")
            .body(text),
        Err(err) => {
            tracing::error!(error = %error_chain(&err), "could not render metrics");
            HttpResponse::InternalServerError().finish()
        }
    }
}
