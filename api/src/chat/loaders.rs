//! Batched lists of chat sessions and messages.

crate::child_relation! {
    /// A user's chat sessions, most recently started first.
    ChatSessionsByUserId: chat_sessions.user_id, sorted by started_at,
    newest_first: true, condition: None,
}

crate::child_relation! {
    /// A session's messages in conversation order (oldest first).
    MessagesBySessionId: chat_messages.session_id, sorted by created_at,
    newest_first: false, condition: None,
}
