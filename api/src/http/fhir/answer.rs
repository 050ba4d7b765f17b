//! How the FHIR API answers: `application/fhir+json` bodies, and every refusal as an
//! `OperationOutcome` with its HTTP status.

use actix_web::{
    HttpRequest, HttpResponse,
    http::{StatusCode, header},
};
use serde_json::Value;

use crate::{
    error::{AppError, error_chain},
    fhir::{bundle, search::BadParameter},
};

pub const FHIR_JSON: &str = "application/fhir+json; charset=utf-8";

/// A refusal, answered as an `OperationOutcome`.
pub struct Refusal {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl Refusal {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not-found",
            format!("{what} is not known, or is not shared with you"),
        )
    }

    /// 403: the patient's care-team grant does not cover `what` (`reports`, `assessments`).
    pub fn out_of_scope(what: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("the patient's care-team grant does not cover {what}"),
        )
    }

    pub fn into_response(self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        response
            .content_type(FHIR_JSON)
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(bundle::outcome("error", self.code, &[self.message]).to_string())
    }
}

impl From<BadParameter> for Refusal {
    fn from(bad: BadParameter) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid", bad.0)
    }
}

impl From<AppError> for Refusal {
    fn from(err: AppError) -> Self {
        match err {
            AppError::NotFound => Self::not_found("the record"),
            AppError::RateLimited {
                retry_after_seconds,
            } => Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "throttled",
                format!("too many requests of this kind; try again in {retry_after_seconds} s"),
            ),
            err => {
                tracing::error!(error = %error_chain(&err), "a FHIR request failed");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "exception",
                    "the server could not answer; try again",
                )
            }
        }
    }
}

pub fn ok(body: &Value) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(FHIR_JSON)
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(body.to_string())
}

pub fn respond(result: Result<Value, Refusal>) -> HttpResponse {
    match result {
        Ok(body) => ok(&body),
        Err(refusal) => refusal.into_response(),
    }
}

/// JSON is all this server speaks: an `Accept` that rules it out is 406.
pub fn check_accept(req: &HttpRequest) -> Result<(), Refusal> {
    let Some(accept) = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
    else {
        return Ok(());
    };
    let acceptable = accept.split(',').any(|range| {
        let media = range
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        [
            "*/*",
            "application/*",
            "application/json",
            "application/fhir+json",
            "application/json+fhir",
        ]
        .contains(&media.as_str())
    });
    if acceptable {
        Ok(())
    } else {
        Err(Refusal::new(
            StatusCode::NOT_ACCEPTABLE,
            "not-supported",
            "this server answers in application/fhir+json only",
        ))
    }
}

/// A link to `path` under `base` with the search's parameters, and a cursor when given.
pub fn link(base: &str, path: &str, params: &[(String, String)], cursor: Option<&str>) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in params {
        query.append_pair(name, value);
    }
    if let Some(cursor) = cursor {
        query.append_pair("_cursor", cursor);
    }
    let query = query.finish();
    if query.is_empty() {
        format!("{base}/{path}")
    } else {
        format!("{base}/{path}?{query}")
    }
}
