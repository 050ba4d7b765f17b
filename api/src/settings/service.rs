//! Reading and writing a user's settings through the registry (`registry`): every known
//! setting has an effective value (stored or default); custom ones exist only when stored.

use chrono::{DateTime, Utc};
use entity::app_settings;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, FromQueryResult, Statement,
    TransactionTrait,
};

use super::registry::{self, CUSTOM_PREFIX, Known, MAX_CUSTOM_SETTINGS};
use crate::{enums::SettingType, error::AppError};

/// A setting as the user sees it.
#[derive(Debug, Clone)]
pub struct Effective {
    pub key: String,
    pub value: String,
    pub setting_type: SettingType,
    pub is_default: bool,
    pub known: Option<&'static Known>,
    pub updated_at: Option<DateTime<Utc>>,
}

fn from_default(known: &'static Known) -> Effective {
    Effective {
        key: known.key.to_owned(),
        value: known.default.to_owned(),
        setting_type: known.setting_type,
        is_default: true,
        known: Some(known),
        updated_at: None,
    }
}

fn from_row(row: app_settings::Model) -> Option<Effective> {
    let known = registry::known(&row.setting_key);
    Some(Effective {
        setting_type: SettingType::from_db(&row.setting_type).ok()?,
        is_default: false,
        known,
        updated_at: Some(row.updated_at.to_utc()),
        key: row.setting_key,
        value: row.setting_value,
    })
}

/// Every known setting (registry order, stored value or default), then the stored custom ones
/// by key.
pub fn effective(rows: Vec<app_settings::Model>) -> Vec<Effective> {
    let mut stored: Vec<Effective> = rows.into_iter().filter_map(from_row).collect();
    let mut all: Vec<Effective> = registry::KNOWN
        .iter()
        .map(|known| {
            stored
                .iter()
                .position(|s| s.key == known.key)
                .map(|i| stored.remove(i))
                .unwrap_or_else(|| from_default(known))
        })
        .collect();
    stored.retain(|s| s.key.starts_with(CUSTOM_PREFIX));
    stored.sort_by(|a, b| a.key.cmp(&b.key));
    all.extend(stored);
    all
}

/// One of the caller's settings, effective.
pub async fn get(
    conn: &impl ConnectionTrait,
    user_id: i32,
    key: &str,
) -> Result<Option<Effective>, AppError> {
    let row = app_settings::Entity::find()
        .filter_by_user_and_key(user_id, key)
        .one(conn)
        .await?;
    Ok(match (row.and_then(from_row), registry::known(key)) {
        (Some(stored), _) => Some(stored),
        (None, Some(known)) => Some(from_default(known)),
        (None, None) => None,
    })
}

trait ByUserAndKey {
    fn filter_by_user_and_key(self, user_id: i32, key: &str) -> Self;
}

impl ByUserAndKey for sea_orm::Select<app_settings::Entity> {
    fn filter_by_user_and_key(self, user_id: i32, key: &str) -> Self {
        use sea_orm::{ColumnTrait, QueryFilter};
        self.filter(app_settings::Column::UserId.eq(user_id))
            .filter(app_settings::Column::SettingKey.eq(key))
    }
}

/// Validates and stores a setting: one upsert, so concurrent calls leave one row per key and
/// the last write wins. Custom settings are capped per user (counted under a per-user lock).
pub async fn set(
    db: &DatabaseConnection,
    user_id: i32,
    key: &str,
    value: &str,
    custom_type: Option<SettingType>,
    now: DateTime<Utc>,
) -> Result<Effective, AppError> {
    let (value, setting_type) = registry::validate(key, value, custom_type)
        .map_err(|why| AppError::bad_input("value", why))?;
    let txn = db.begin().await?;
    if key.starts_with(CUSTOM_PREFIX) {
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock(hashtextextended('custom-settings:' || $1::text, 0))",
            [user_id.into()],
        ))
        .await?;
        let others = txn
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT count(*) AS n FROM app_settings WHERE user_id = $1 \
                 AND setting_key LIKE 'custom.%' AND setting_key <> $2",
                [user_id.into(), key.into()],
            ))
            .await?
            .and_then(|row| row.try_get::<i64>("", "n").ok())
            .unwrap_or(0);
        if usize::try_from(others).unwrap_or(usize::MAX) >= MAX_CUSTOM_SETTINGS {
            return Err(AppError::bad_input(
                "key",
                format!("at most {MAX_CUSTOM_SETTINGS} custom settings; reset one first"),
            ));
        }
    }
    let row = app_settings::Model::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO app_settings (user_id, setting_key, setting_value, setting_type, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5) \
         ON CONFLICT (user_id, setting_key) DO UPDATE \
         SET setting_value = EXCLUDED.setting_value, setting_type = EXCLUDED.setting_type, updated_at = $5 \
         RETURNING *",
        [
            user_id.into(),
            key.into(),
            value.into(),
            setting_type.as_db().into(),
            now.into(),
        ],
    ))
    .one(&txn)
    .await?
    .ok_or_else(|| AppError::internal("the upsert returned no row"))?;
    txn.commit().await?;
    from_row(row).ok_or_else(|| AppError::internal("a stored setting has an unknown type"))
}

/// Removes the stored value: a known setting falls back to its default, a custom one is gone.
pub async fn reset(
    db: &DatabaseConnection,
    user_id: i32,
    key: &str,
) -> Result<Option<Effective>, AppError> {
    if registry::known(key).is_none() && !key.starts_with(CUSTOM_PREFIX) {
        return Err(AppError::bad_input(
            "key",
            format!("`{key}` is not a known setting"),
        ));
    }
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "DELETE FROM app_settings WHERE user_id = $1 AND setting_key = $2",
        [user_id.into(), key.into()],
    ))
    .await?;
    Ok(registry::known(key).map(from_default))
}

/// Whether a boolean setting is on for the user (its default when not stored).
pub async fn is_on(conn: &impl ConnectionTrait, user_id: i32, key: &str) -> bool {
    match get(conn, user_id, key).await {
        Ok(Some(setting)) => setting.value == "true",
        _ => false,
    }
}
