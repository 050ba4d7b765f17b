//! Settings resolvers: `me.settings` (in `users::types`), `setSetting`, `resetSetting`.

use async_graphql::{Context, Object, SimpleObject};

use super::{
    registry::Rule,
    service::{self, Effective},
};
use crate::{
    context::{db, services, viewer},
    enums::SettingType,
    error::AppError,
    scalars,
};

/// A setting with its effective value.
#[derive(SimpleObject, Debug, Clone)]
pub struct Setting {
    /// The setting's key, such as `theme` or `custom.widget_order`.
    pub key: String,
    /// The value as text, normalised; `type` says how to read it.
    pub value: String,
    /// The type its value is read as.
    #[graphql(name = "type")]
    pub setting_type: SettingType,
    /// True when nothing is stored and `value` is the default.
    pub is_default: bool,
    /// The default of a known setting (null for custom ones).
    pub default_value: Option<String>,
    /// The allowed values, for settings that have a fixed list.
    pub allowed_values: Option<Vec<String>>,
    /// What a known setting does; null for custom ones.
    pub description: Option<String>,
    /// When the stored value last changed (null for a default).
    pub updated_at: Option<scalars::DateTime>,
}

impl From<Effective> for Setting {
    fn from(setting: Effective) -> Self {
        let known = setting.known;
        Self {
            key: setting.key,
            value: setting.value,
            setting_type: setting.setting_type,
            is_default: setting.is_default,
            default_value: known.map(|k| k.default.to_owned()),
            allowed_values: known.and_then(|k| match k.rule {
                Rule::OneOf(values) => Some(values.iter().map(|v| (*v).to_owned()).collect()),
                Rule::Boolean => Some(vec!["true".into(), "false".into()]),
                _ => None,
            }),
            description: known.map(|k| k.description.to_owned()),
            updated_at: setting.updated_at.map(Into::into),
        }
    }
}

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
