//! Profile changes.

use std::net::IpAddr;

use chrono::{DateTime, NaiveDate, Utc};
use entity::users;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait};

use super::validate;
use crate::{
    auth::audit::{self, AuditEvent},
    enums::{AuditEventType, Gender},
    error::AppError,
};

/// `None`: leave as is; `Some(None)`: clear.
pub struct ProfileChanges {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub date_of_birth: Option<Option<NaiveDate>>,
    pub gender: Option<Option<Gender>>,
    pub phone_number: Option<Option<String>>,
}

pub async fn update_profile(
    conn: &impl ConnectionTrait,
    user: &users::Model,
    changes: ProfileChanges,
    ip: Option<IpAddr>,
    now: DateTime<Utc>,
) -> Result<users::Model, AppError> {
    let mut row: users::ActiveModel = user.clone().into();
    if let Some(first_name) = changes.first_name {
        row.first_name = Set(validate::name("firstName", &first_name)?);
    }
    if let Some(last_name) = changes.last_name {
        row.last_name = Set(validate::name("lastName", &last_name)?);
    }
    if let Some(date) = changes.date_of_birth {
        row.date_of_birth = Set(date
            .map(|d| validate::date_of_birth("dateOfBirth", d, now))
            .transpose()?);
    }
    if let Some(gender) = changes.gender {
        row.gender = Set(gender.map(|g| g.as_db().to_owned()));
    }
    if let Some(phone) = changes.phone_number {
        row.phone_number = Set(phone
            .map(|p| validate::phone_number("phoneNumber", &p))
            .transpose()?);
    }
    let updated = row.update(conn).await?;
    audit::record(
        conn,
        AuditEvent::own(AuditEventType::ProfileUpdated, user.id, ip),
        now,
    )
    .await?;
    Ok(updated)
}
