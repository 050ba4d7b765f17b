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

/// The code of every error a response carries, in `errors[].extensions.code`. The list is
/// closed: a client can switch on it exhaustively (docs/api.md says what to do for each).
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// No valid bearer token (missing, expired, signed out) or wrong sign-in details: sign in
    /// again.
    Unauthenticated,
    /// Signed in, but the account's role or a care-team grant does not allow this.
    Forbidden,
    /// The object does not exist or is not the caller's (the two are not told apart).
    NotFound,
    /// The request is wrong: syntax, validation, a variable's type, or an input value
    /// (`extensions.field` names the input field). Fix the request; retrying it as is fails
    /// again.
    BadUserInput,
    /// The request conflicts with the current state (already exists, already running, stale).
    Conflict,
    /// Too many attempts; `extensions.retryAfterSeconds` says when to try again.
    RateLimited,
    /// The server failed; the message is generic and the cause is in the server's log under
    /// the response's `x-request-id`. Safe to retry a query; check state before retrying a
    /// mutation.
    Internal,
}

impl ErrorCode {
    pub const ALL: [Self; 7] = [
        Self::Unauthenticated,
        Self::Forbidden,
        Self::NotFound,
        Self::BadUserInput,
        Self::Conflict,
        Self::RateLimited,
        Self::Internal,
    ];

    /// The GraphQL name, as sent in `extensions.code`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound => "NOT_FOUND",
            Self::BadUserInput => "BAD_USER_INPUT",
            Self::Conflict => "CONFLICT",
            Self::RateLimited => "RATE_LIMITED",
            Self::Internal => "INTERNAL",
        }
    }
}

/// The codes of [`ErrorCode`] as the strings `extensions.code` carries.
pub mod code {
    use super::ErrorCode;

    pub const UNAUTHENTICATED: &str = ErrorCode::Unauthenticated.as_str();
    pub const FORBIDDEN: &str = ErrorCode::Forbidden.as_str();
    pub const NOT_FOUND: &str = ErrorCode::NotFound.as_str();
    pub const BAD_USER_INPUT: &str = ErrorCode::BadUserInput.as_str();
    pub const CONFLICT: &str = ErrorCode::Conflict.as_str();
    pub const RATE_LIMITED: &str = ErrorCode::RateLimited.as_str();
    pub const INTERNAL: &str = ErrorCode::Internal.as_str();
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

#[cfg(test)]
mod tests {
    use async_graphql::{InputType, Value};

    use super::ErrorCode;

    /// `as_str` is what goes in `extensions.code`; the schema's `ErrorCode` enum must name the
    /// same strings, or clients switching on the enum miss codes.
    #[test]
    fn the_codes_sent_are_the_enums_values() {
        for code in ErrorCode::ALL {
            assert_eq!(
                code.to_value(),
                Value::Enum(async_graphql::Name::new(code.as_str()))
            );
        }
        let registered = <ErrorCode as async_graphql::resolver_utils::EnumType>::items().len();
        assert_eq!(registered, ErrorCode::ALL.len(), "ALL lists every code");
    }
}
