//! Changing the sign-in address, with a code sent to the new one.

use entity::users;
use sea_orm::{ActiveModelTrait, ActiveValue::Set};

use crate::{
    context::Viewer,
    enums::{AuditEventType, OtpPurpose},
    error::AppError,
    users::validate,
};

use super::common::*;
use super::{codes::consume_code, sign_in::reauthenticate};

/// Moves the account to `new_email`, proven by the code mailed there and the current password.
pub async fn change_email(
    env: &Env<'_>,
    viewer: &Viewer,
    raw_new_email: &str,
    code: &str,
    current_password: &str,
) -> Result<users::Model, AppError> {
    let new_email = validate::email("newEmail", raw_new_email)?;
    let user = &viewer.user;
    reauthenticate(env, viewer, current_password, "password").await?;
    consume_code(env, &new_email, OtpPurpose::EmailChange, code).await?;
    let mut account: users::ActiveModel = user.clone().into();
    account.email = Set(new_email.clone());
    let updated = account
        .update(env.db)
        .await
        .map_err(taken_as_invalid_code)?;
    env.audit(env.own_event(AuditEventType::EmailChanged, user.id))
        .await?;
    env.notify(
        &user.email,
        "Your Echo Health email address was changed",
        "Your Echo Health account now uses another email address; mail will no longer come here.\n\n\
         If this was not you, contact support at once.\n"
            .to_owned(),
    )
    .await?;
    Ok(updated)
}
