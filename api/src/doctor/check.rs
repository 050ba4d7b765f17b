//! One check's result: what was checked, how it went, and what was found.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    Warn,
    Fail,
    Skip,
}

impl Status {
    pub(super) fn label(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "FAIL",
            Status::Skip => "skip",
        }
    }
}

/// One checked thing and what was found.
#[derive(Debug, Clone)]
pub struct Check {
    pub name: &'static str,
    pub status: Status,
    pub detail: String,
}

pub(super) fn check(name: &'static str, status: Status, detail: impl Into<String>) -> Check {
    Check {
        name,
        status,
        detail: detail.into(),
    }
}

/// The oldest PostgreSQL the server is tested with.
pub(super) const MIN_POSTGRES: i32 = 150_000;
/// How long a network check (SMTP, the AI provider) may take.
pub(super) const NETWORK_TIMEOUT: Duration = Duration::from_secs(5);
