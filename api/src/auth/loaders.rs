//! Batched lists of device sessions.

crate::child_relation! {
    /// A user's live device sessions (active, not expired, not idle too long), newest first.
    SessionsByUserId: user_sessions by user_id (UserId), sorted by created_at (CreatedAt),
    newest_first: true, condition: Some(super::service::live_at),
}
