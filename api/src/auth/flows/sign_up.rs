//! Sign-up: a verified code and a new account in one transaction.

use entity::users;
use sea_orm::{ActiveModelTrait, ActiveValue::Set};

use super::super::password;
use crate::{
    enums::{AuditEventType, OtpPurpose},
    error::AppError,
    users::validate,
};

use super::common::*;
use super::{codes::consume_code, sign_in::sign_in};

pub async fn register(
    env: &Env<'_>,
    input: Registration,
    device: Device,
) -> Result<SignedIn, AppError> {
    let email = validate::email("email", &input.email)?;
    let first_name = validate::name("firstName", &input.first_name)?;
    let last_name = validate::name("lastName", &input.last_name)?;
    let date_of_birth = input
        .date_of_birth
        .map(|d| validate::date_of_birth("dateOfBirth", d, env.now()))
        .transpose()?;
    let phone_number = input
        .phone_number
        .as_deref()
        .map(|p| validate::phone_number("phoneNumber", p))
        .transpose()?;
    password::check_strength(
        "password",
        &input.password,
        &[&email, &first_name, &last_name],
    )?;
    let info = device_info(&device, env.client)?;
    // Everything the person typed is checked before the code is spent.
    consume_code(env, &email, OtpPurpose::Registration, &input.code).await?;
    let password_hash = password::hash(&input.password).await?;
    let user = users::ActiveModel {
        email: Set(email),
        password_hash: Set(password_hash),
        first_name: Set(first_name),
        last_name: Set(last_name),
        date_of_birth: Set(date_of_birth),
        gender: Set(input.gender.map(|g| g.as_db().to_owned())),
        phone_number: Set(phone_number),
        is_verified: Set(true),
        created_at: Set(env.now().into()),
        updated_at: Set(env.now().into()),
        ..Default::default()
    }
    .insert(env.db)
    .await
    // Taken in the meantime: answer as for any code that does not fit.
    .map_err(taken_as_invalid_code)?;
    env.audit(env.own_event(AuditEventType::AccountRegistered, user.id))
        .await?;
    sign_in(env, user, &device, info).await
}
