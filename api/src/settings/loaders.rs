//! Batched lists of app settings.

crate::child_relation! {
    /// A user's settings, most recently created first.
    SettingsByUserId: app_settings.user_id, sorted by created_at,
    newest_first: true, condition: None,
}
