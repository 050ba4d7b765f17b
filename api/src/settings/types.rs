//! GraphQL view of an app setting.

use async_graphql::{ID, Object};
use chrono::{DateTime, Utc};
use entity::app_settings;

use crate::{enums::SettingType, error::AppError};

/// One per-user preference, stored as text with its type.
pub struct AppSetting {
    row: app_settings::Model,
    setting_type: SettingType,
}

impl TryFrom<app_settings::Model> for AppSetting {
    type Error = AppError;
    fn try_from(row: app_settings::Model) -> Result<Self, AppError> {
        Ok(Self {
            setting_type: SettingType::from_db(&row.setting_type)?,
            row,
        })
    }
}

#[Object]
impl AppSetting {
    async fn id(&self) -> ID {
        ID::from(self.row.id.to_string())
    }
    /// The setting's name, unique per user.
    async fn key(&self) -> &str {
        &self.row.setting_key
    }
    /// The value as text; `type` says how to read it.
    async fn value(&self) -> &str {
        &self.row.setting_value
    }
    #[graphql(name = "type")]
    async fn setting_type(&self) -> SettingType {
        self.setting_type
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.row.created_at.to_utc()
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.row.updated_at.to_utc()
    }
}
