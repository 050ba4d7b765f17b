//! Batched lists of app settings.

crate::child_relation! {
    /// A user's settings, most recently created first.
    SettingsByUserId: app_settings by user_id (UserId), sorted by created_at (CreatedAt),
    newest_first: true, condition: None,
}
