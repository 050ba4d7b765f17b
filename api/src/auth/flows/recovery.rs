//! Password recovery and change: reset tokens by mail, resetting with one, changing with the
//! current password, and the notice mail that follows.

use chrono::Duration;
use entity::{password_reset_tokens, users};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QuerySelect, TransactionTrait, sea_query::Expr,
};

use super::super::{
    audit, password,
    service::{self, Revoke},
    token,
};
use crate::{context::Viewer, enums::AuditEventType, error::AppError, users::validate};

use super::common::*;
use super::{codes::throttle_send, sign_in::reauthenticate};

pub const RESET_TOKEN_TTL: Duration = Duration::minutes(60);

/// Mails a reset token when the address has an active account; answers the same either way.
pub async fn request_password_reset(env: &Env<'_>, raw_email: &str) -> Result<(), AppError> {
    let email = validate::email("email", raw_email)?;
    throttle_send(env, format!("reset:{}", address_key(&email))).await?;
    let Some(user) = find_user(env, &email).await?.filter(|u| u.is_active) else {
        return Ok(());
    };
    let reset_token = token::generate();
    let txn = env.db.begin().await?;
    password_reset_tokens::Entity::update_many()
        .col_expr(password_reset_tokens::Column::IsUsed, Expr::value(true))
        .filter(password_reset_tokens::Column::UserId.eq(user.id))
        .filter(password_reset_tokens::Column::IsUsed.eq(false))
        .exec(&txn)
        .await?;
    password_reset_tokens::ActiveModel {
        user_id: Set(user.id),
        token: Set(token::hash(&reset_token)),
        expires_at: Set((env.now() + RESET_TOKEN_TTL).into()),
        created_at: Set(env.now().into()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let link = env
        .services
        .password_reset_url
        .as_ref()
        .map(|url| format!("\n{url}{reset_token}\n"))
        .unwrap_or_default();
    env.queue_mail(
        &txn,
        &email,
        "Reset your Echo Health password",
        format!(
            "Someone asked to reset the password of your Echo Health account.\n\n\
             Reset token: {reset_token}\n{link}\n\
             It expires in {} minutes and works once. Resetting signs you out everywhere.\n\
             If you did not ask for it, ignore this mail: your password stays as it is.\n",
            RESET_TOKEN_TTL.num_minutes()
        ),
        RESET_TOKEN_TTL,
    )
    .await?;
    txn.commit().await?;
    env.services.wake_jobs();
    env.audit(env.own_event(AuditEventType::PasswordResetRequested, user.id))
        .await
}

/// `new_password`, checked against the account's own details, hashed.
async fn new_password_hash(user: &users::Model, new_password: &str) -> Result<String, AppError> {
    password::check_strength(
        "newPassword",
        new_password,
        &[&user.email, &user.first_name, &user.last_name],
    )?;
    password::hash(new_password).await
}

/// Stores a new password hash in the flow's transaction: ends the sessions `ending` names,
/// records `event` and queues the notice that the password was changed `how`. Returns how many
/// sessions ended.
async fn store_password(
    env: &Env<'_>,
    txn: &DatabaseTransaction,
    user: &users::Model,
    password_hash: String,
    ending: Revoke,
    event: AuditEventType,
    how: &str,
) -> Result<u64, AppError> {
    let mut account: users::ActiveModel = user.clone().into();
    account.password_hash = Set(password_hash);
    account.update(txn).await?;
    let revoked = service::revoke_sessions(txn, user.id, ending).await?;
    audit::record(txn, env.own_event(event, user.id), env.now()).await?;
    env.queue_mail(
        txn,
        &user.email,
        "Your Echo Health password was changed",
        format!(
            "The password of your Echo Health account was {how}.\n\n\
             If this was not you, reset your password now and contact support.\n"
        ),
        NOTICE_TTL,
    )
    .await?;
    Ok(revoked)
}

/// Sets a new password with a mailed token. Never signs in; ends every session.
pub async fn reset_password(
    env: &Env<'_>,
    reset_token: &str,
    new_password: &str,
) -> Result<(), AppError> {
    let invalid = || {
        AppError::bad_input(
            "token",
            "the reset token is wrong, used or expired; ask for a new one",
        )
    };
    let txn = env.db.begin().await?;
    let row = password_reset_tokens::Entity::find()
        .filter(password_reset_tokens::Column::Token.eq(token::hash(reset_token.trim())))
        .filter(password_reset_tokens::Column::IsUsed.eq(false))
        .filter(password_reset_tokens::Column::ExpiresAt.gt(env.now()))
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(invalid)?;
    let user = users::Entity::find_by_id(row.user_id)
        .one(&txn)
        .await?
        .filter(|u| u.is_active)
        .ok_or_else(invalid)?;
    // A weak password leaves the token unspent.
    let password_hash = new_password_hash(&user, new_password).await?;
    let mut token_row: password_reset_tokens::ActiveModel = row.into();
    token_row.is_used = Set(true);
    token_row.update(&txn).await?;
    store_password(
        env,
        &txn,
        &user,
        password_hash,
        Revoke::All,
        AuditEventType::PasswordReset,
        "reset with a mailed token",
    )
    .await?;
    txn.commit().await?;
    // Not the caller's own account (there is no caller): forgotten here, since only the
    // caller's are forgotten after every mutation (`auth::session_cache`).
    env.services.session_cache.forget_user(user.id);
    env.services.wake_jobs();
    Ok(())
}

/// Changes the caller's password; every other session ends. Returns how many ended.
pub async fn change_password(
    env: &Env<'_>,
    viewer: &Viewer,
    current: &str,
    new_password: &str,
) -> Result<u64, AppError> {
    let user = &viewer.user;
    reauthenticate(env, viewer, current, "currentPassword").await?;
    let password_hash = new_password_hash(user, new_password).await?;
    let txn = env.db.begin().await?;
    let revoked = store_password(
        env,
        &txn,
        user,
        password_hash,
        Revoke::AllBut(viewer.session.id),
        AuditEventType::PasswordChanged,
        "changed while signed in",
    )
    .await?;
    txn.commit().await?;
    env.services.wake_jobs();
    Ok(revoked)
}
