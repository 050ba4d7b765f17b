//! The one error type of the API and its mapping to GraphQL errors.
//!
//! Resolvers and services return [`AppError`]; `?` turns it into an `async_graphql::Error` that
//! keeps it as its source, and [`finalize_errors`] (run on every response) reads it back to set
//! `extensions.code`. Anything that is not an `AppError` becomes an opaque INTERNAL error whose
//! cause goes to the log only, so SQL, paths and stack traces never reach a client.

use async_graphql::{ErrorExtensionValues, ServerError, Value};
use sea_orm::{DbErr, SqlErr};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("authentication required")]
    Unauthenticated,
    /// Sign-in failed; deliberately silent about which part was wrong.
    #[error("the email or password is not right")]
    InvalidCredentials,
    #[error("your account's role does not allow this")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("{message}")]
    BadUserInput { field: String, message: String },
    #[error("{0}")]
    Conflict(String),
    #[error("too many requests; try again in {retry_after_seconds} seconds")]
    RateLimited { retry_after_seconds: u64 },
    #[error("internal server error")]
    Internal(#[source] BoxError),
}

/// The stable machine-readable codes of `extensions.code`.
pub mod code {
    pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
    pub const FORBIDDEN: &str = "FORBIDDEN";
    pub const NOT_FOUND: &str = "NOT_FOUND";
    pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
    pub const CONFLICT: &str = "CONFLICT";
    pub const RATE_LIMITED: &str = "RATE_LIMITED";
    pub const INTERNAL: &str = "INTERNAL";
    pub const ALL: [&str; 7] = [
        UNAUTHENTICATED,
        FORBIDDEN,
        NOT_FOUND,
        BAD_USER_INPUT,
        CONFLICT,
        RATE_LIMITED,
        INTERNAL,
    ];
}

pub const INTERNAL_MESSAGE: &str = "internal server error";

impl AppError {
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadUserInput {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn internal(err: impl Into<BoxError>) -> Self {
        Self::Internal(err.into())
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated | Self::InvalidCredentials => code::UNAUTHENTICATED,
            Self::Forbidden => code::FORBIDDEN,
            Self::NotFound => code::NOT_FOUND,
            Self::BadUserInput { .. } => code::BAD_USER_INPUT,
            Self::Conflict(_) => code::CONFLICT,
            Self::RateLimited { .. } => code::RATE_LIMITED,
            Self::Internal(_) => code::INTERNAL,
        }
    }
}

/// Database errors map here once: constraint violations are the client's problem, the rest ours.
impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => Self::Conflict("already exists".into()),
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => Self::NotFound,
            _ => Self::internal(err),
        }
    }
}

/// A DataLoader shares one database error among all the fields waiting on its batch.
impl From<std::sync::Arc<DbErr>> for AppError {
    fn from(err: std::sync::Arc<DbErr>) -> Self {
        Self::internal(err.to_string())
    }
}

/// Sets `extensions.code` on every error of a response and strips internals from messages.
pub fn finalize_errors(errors: &mut [ServerError]) {
    for error in errors.iter_mut() {
        let (code, message) = classify(error);
        if let Some(message) = message {
            error.message = message;
        }
        let extensions = error
            .extensions
            .get_or_insert_with(ErrorExtensionValues::default);
        if let Some(app) = error
            .source
            .as_ref()
            .and_then(|s| s.downcast_ref::<AppError>())
        {
            match app {
                AppError::BadUserInput { field, .. } => {
                    extensions.set("field", Value::from(field.as_str()))
                }
                AppError::RateLimited {
                    retry_after_seconds,
                } => extensions.set("retryAfterSeconds", Value::from(*retry_after_seconds)),
                _ => {}
            }
        }
        extensions.set("code", Value::from(code));
    }
}

fn classify(error: &ServerError) -> (&'static str, Option<String>) {
    let Some(source) = error.source.as_ref() else {
        // No source: async-graphql itself rejected the request (syntax, validation, variable or
        // argument coercion, limits). These are the client's to fix and safe to show.
        return (code::BAD_USER_INPUT, None);
    };
    if let Some(app) = source.downcast_ref::<AppError>() {
        if let AppError::Internal(cause) = app {
            tracing::error!(error = %error_chain(cause.as_ref()), path = ?error.path, "internal error");
            return (code::INTERNAL, Some(INTERNAL_MESSAGE.into()));
        }
        return (app.code(), None);
    }
    if let Some(db) = source.downcast_ref::<DbErr>() {
        tracing::error!(error = %error_chain(db), path = ?error.path, "database error");
    } else {
        tracing::error!(message = %error.message, path = ?error.path, "unclassified error");
    }
    (code::INTERNAL, Some(INTERNAL_MESSAGE.into()))
}

/// `err: cause: cause` for the log, so the whole chain is in one line.
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut next = err.source();
    while let Some(cause) = next {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        next = cause.source();
    }
    out
}
