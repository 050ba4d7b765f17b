//! Batched lists of data exports.

crate::child_relation! {
    /// A user's exports, newest first.
    ExportsByUserId: data_exports by user_id (UserId), sorted by created_at (CreatedAt),
    newest_first: true, condition: None,
}
