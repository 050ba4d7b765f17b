//! Batched lists of medical reports.

crate::child_relation! {
    /// A user's medical reports, newest upload first.
    ReportsByUserId: medical_reports by user_id (UserId), sorted by upload_date (UploadDate),
    newest_first: true, condition: None,
}
