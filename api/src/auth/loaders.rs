//! Batched lists of device sessions.

crate::child_relation! {
    /// A user's live device sessions (active, not expired, not idle too long), newest first.
    SessionsByUserId: user_sessions.user_id, sorted by created_at,
    newest_first: true, condition: Some(
        "t.is_active AND t.expires_at > {now} \
         AND t.last_activity + make_interval(secs => t.idle_timeout_seconds) > {now}"
    ),
}
