//! Batched lists of medical reports.

crate::child_relation! {
    /// A user's medical reports, newest upload first.
    ReportsByUserId: medical_reports.user_id, sorted by upload_date,
    newest_first: true, condition: None,
}
