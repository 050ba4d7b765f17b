//! Profile changes, and finding accounts by name or address.

use std::net::IpAddr;

use chrono::{DateTime, NaiveDate, Utc};
use entity::users;
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait,
    sea_query::{Expr, extension::postgres::PgExpr},
};

use super::validate;
use crate::{
    auth::audit::{self, AuditEvent},
    enums::{AuditEventType, Gender},
    error::AppError,
};

/// Accounts whose sign-in address or full name ("first last") matches `pattern` (an `ILIKE`
/// pattern): the search of the admin's account list and of a clinician's patients.
pub fn name_or_email_like(pattern: String) -> Condition {
    let full_name = users::Column::FirstName
        .into_expr()
        .concat(Expr::val(" "))
        .concat(users::Column::LastName.into_expr());
    Condition::any()
        .add(users::Column::Email.ilike(pattern.clone()))
        .add(full_name.ilike(pattern))
}

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
