//! GraphQL view of a setting: its effective value, with what the registry says of it.

use async_graphql::SimpleObject;

use super::{registry::Rule, service::Effective};
use crate::{enums::SettingType, scalars};

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
