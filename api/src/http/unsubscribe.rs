//! `/unsubscribe?token=...`: the one-click unsubscribe link of reminder mail (RFC 8058).
//! `POST` (what a mail client sends for `List-Unsubscribe-Post`, and the page's button) turns
//! email reminders off; `GET` only shows that button, because link checkers and previews open
//! links without asking anyone (RFC 8058, section 3.3).

use actix_web::{HttpResponse, http::StatusCode, web};
use serde::Deserialize;

use crate::{
    reminders::unsubscribe::{Outcome, unsubscribe},
    state::AppState,
};

#[derive(Deserialize)]
pub struct Query {
    #[serde(default)]
    token: String,
}

fn page(status: StatusCode, title: &str, body: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width\"><title>{title}</title></head>\
             <body><h1>{title}</h1>{body}</body></html>"
        ))
}

/// The page with the button; the form posts to its own URL, token included, so nothing of
/// the token is written into the page.
pub async fn show() -> HttpResponse {
    page(
        StatusCode::OK,
        "Turn off email reminders?",
        "<form method=\"post\"><button type=\"submit\">Turn off email reminders</button></form>\
         <p>You can turn them on again in the app's settings.</p>",
    )
}

pub async fn confirm(state: web::Data<AppState>, query: web::Query<Query>) -> HttpResponse {
    match unsubscribe(&state.db, &state.services, &query.token).await {
        Ok(Outcome::Unsubscribed) => page(
            StatusCode::OK,
            "Email reminders are off",
            "<p>You will get no more reminder mail. You can turn it on again in the app's settings.</p>",
        ),
        Ok(Outcome::Spent) => page(
            StatusCode::GONE,
            "This link was used already",
            "<p>It was used, or reminders were turned on again since it was sent. Manage reminders in the app's settings.</p>",
        ),
        Ok(Outcome::Invalid) => page(
            StatusCode::BAD_REQUEST,
            "This link is not valid",
            "<p>Manage reminders in the app's settings.</p>",
        ),
        Err(err) => {
            tracing::error!(error = %err, "could not unsubscribe");
            page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Please try again",
                "<p>Reminders could not be turned off just now.</p>",
            )
        }
    }
}
