//! Batched lists of health assessments.

crate::child_relation! {
    /// A user's health assessments, newest first.
    AssessmentsByUserId: health_assessments.user_id, sorted by created_at,
    newest_first: true, condition: None,
}
