//! Settings resolvers: `me.settings` (in `users::types`), `setSetting`, `resetSetting`.

use async_graphql::{Context, Object, SimpleObject};

use super::{service, types::Setting};
use crate::{
    context::{db, services, viewer},
    enums::SettingType,
    error::AppError,
};

/// A setting after it was set or reset.
#[derive(SimpleObject)]
pub struct SettingPayload {
    /// The setting after the change; null after resetting a custom setting.
    pub setting: Option<Setting>,
}

#[derive(Default)]
pub struct SettingsMutation;

#[Object]
impl SettingsMutation {
    /// Stores a setting. Known keys are validated against the registry (docs/settings.md);
    /// other keys must start with `custom.` and may declare their `type` (STRING by default).
    async fn set_setting(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A known key, or a custom one under `custom.`.")] key: String,
        #[graphql(desc = "The value as text, in the form its type needs.")] value: String,
        #[graphql(
            name = "type",
            desc = "The type of a custom setting; known settings have theirs."
        )]
        setting_type: Option<SettingType>,
    ) -> Result<SettingPayload, AppError> {
        let viewer = viewer(ctx)?;
        let now = services(ctx).clock.now();
        let setting =
            service::set(db(ctx), viewer.user.id, &key, &value, setting_type, now).await?;
        crate::reminders::plan::after_setting_changed(db(ctx), services(ctx), viewer.user.id, &key)
            .await;
        Ok(SettingPayload {
            setting: Some(setting.into()),
        })
    }

    /// Removes a stored value: a known setting returns to its default, a custom one is gone.
    async fn reset_setting(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The setting to reset.")] key: String,
    ) -> Result<SettingPayload, AppError> {
        let viewer = viewer(ctx)?;
        let setting = service::reset(db(ctx), viewer.user.id, &key).await?;
        crate::reminders::plan::after_setting_changed(db(ctx), services(ctx), viewer.user.id, &key)
            .await;
        Ok(SettingPayload {
            setting: setting.map(Into::into),
        })
    }
}
