//! Counting the statements sent while answering requests, and when an idle connection is
//! pinged.

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

/// SQL statements sent while answering requests (background jobs are not counted); tests
/// and `/metrics` read it.
#[derive(Debug, Default)]
pub struct DbStats {
    statements: AtomicU64,
}

impl DbStats {
    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// Counts a statement sent outside SeaORM (`read_pool`).
    pub fn count_statement(&self) {
        self.statements.fetch_add(1, Ordering::Relaxed);
    }
}

/// A pooled connection idle this long is pinged before it is handed out, so one the server or
/// a proxy dropped meanwhile is replaced. Busy connections are not pinged: a ping on every
/// checkout (sqlx's default) is one more round trip per statement.
pub const PING_WHEN_IDLE_FOR: Duration = Duration::from_secs(30);
