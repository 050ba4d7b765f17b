//! Batched lists of chat sessions and messages.

crate::child_relation! {
    /// A user's chat sessions, most recently started first.
    ChatSessionsByUserId: chat_sessions by user_id (UserId), sorted by started_at (StartedAt),
    newest_first: true, condition: None,
}

crate::child_relation! {
    /// A session's messages in conversation order (oldest first).
    MessagesBySessionId: chat_messages by session_id (SessionId), sorted by created_at (CreatedAt),
    newest_first: false, condition: None,
}
