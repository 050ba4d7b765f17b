//! Probes: `/healthz` (the process answers) and `/readyz` (the database answers too).

use std::time::Duration;

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::state::AppState;

const READY_TIMEOUT: Duration = Duration::from_secs(2);

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match tokio::time::timeout(READY_TIMEOUT, state.db.ping()).await {
        Ok(Ok(())) => HttpResponse::Ok().json(json!({ "status": "ready" })),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "readiness check: database unreachable");
            HttpResponse::ServiceUnavailable().json(json!({ "status": "unavailable" }))
        }
        Err(_) => {
            tracing::warn!("readiness check: database did not answer in time");
            HttpResponse::ServiceUnavailable().json(json!({ "status": "unavailable" }))
        }
    }
}
