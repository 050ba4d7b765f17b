//! One-time codes by email: asking for one (`request_email_otp`), sending it through the
//! durable mail queue, and checking one (at most `OTP_MAX_ATTEMPTS` tries, `OTP_TTL`).

use chrono::Duration;
use entity::{otp_verifications, users};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait, sea_query::Expr,
};
use serde_json::json;

use super::super::audit::AuditEvent;
use crate::{
    context::Viewer,
    enums::{AuditEventType, OtpPurpose},
    error::AppError,
    rate_limit::{self, Rule},
    users::validate,
};

use super::common::*;

pub const OTP_TTL: Duration = Duration::minutes(10);

pub const OTP_MAX_ATTEMPTS: i32 = 5;

/// Mails per address and purpose: one a minute, five an hour.
pub(super) const SENDS_PER_ADDRESS: [Rule; 2] = [
    Rule::new(1, Duration::minutes(1)),
    Rule::new(5, Duration::hours(1)),
];

/// Mails requested from one client address.
pub(super) const SENDS_PER_IP: [Rule; 1] = [Rule::new(30, Duration::hours(1))];

pub(super) async fn throttle_send(env: &Env<'_>, bucket: String) -> Result<(), AppError> {
    if let Some(ip) = env.client.ip {
        rate_limit::hit(env.db, &format!("send:ip:{ip}"), &SENDS_PER_IP, env.now()).await?;
    }
    rate_limit::hit(env.db, &bucket, &SENDS_PER_ADDRESS, env.now()).await?;
    Ok(())
}

/// Issues a new code for (email, purpose), killing older ones, and mails it.
pub(super) async fn send_code(
    env: &Env<'_>,
    email: &str,
    purpose: OtpPurpose,
) -> Result<(), AppError> {
    let code = crate::auth::otp::generate_code();
    let txn = env.db.begin().await?;
    otp_verifications::Entity::update_many()
        .col_expr(otp_verifications::Column::IsUsed, Expr::value(true))
        .filter(otp_verifications::Column::Email.eq(email))
        .filter(otp_verifications::Column::Purpose.eq(purpose.as_db()))
        .filter(otp_verifications::Column::IsUsed.eq(false))
        .exec(&txn)
        .await?;
    otp_verifications::ActiveModel {
        email: Set(email.to_owned()),
        otp_code: Set(env.services.otp_key.digest(purpose.as_db(), email, &code)),
        purpose: Set(purpose.as_db().to_owned()),
        expires_at: Set((env.now() + OTP_TTL).into()),
        created_at: Set(env.now().into()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let (subject, body) = code_mail(&code, purpose);
    env.queue_mail(&txn, email, subject, body, OTP_TTL).await?;
    txn.commit().await?;
    env.services.wake_jobs();
    Ok(())
}

/// Spends the current code for (email, purpose) if `code` is it. A wrong guess counts an
/// attempt; after five the code is dead. Used, expired and superseded codes never match.
pub(super) async fn consume_code(
    env: &Env<'_>,
    email: &str,
    purpose: OtpPurpose,
    code: &str,
) -> Result<(), AppError> {
    let code = code.trim();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return Err(invalid_code());
    }
    let txn = env.db.begin().await?;
    let current = otp_verifications::Entity::find()
        .filter(otp_verifications::Column::Email.eq(email))
        .filter(otp_verifications::Column::Purpose.eq(purpose.as_db()))
        .filter(otp_verifications::Column::IsUsed.eq(false))
        .filter(otp_verifications::Column::ExpiresAt.gt(env.now()))
        .filter(otp_verifications::Column::Attempts.lt(OTP_MAX_ATTEMPTS))
        .order_by_desc(otp_verifications::Column::CreatedAt)
        .lock_exclusive()
        .one(&txn)
        .await?;
    let Some(current) = current else {
        return Err(invalid_code());
    };
    let matches = env
        .services
        .otp_key
        .matches(purpose.as_db(), email, code, &current.otp_code);
    let attempts = current.attempts;
    let mut row: otp_verifications::ActiveModel = current.into();
    if matches {
        row.is_used = Set(true);
    } else {
        row.attempts = Set(attempts + 1);
    }
    row.update(&txn).await?;
    txn.commit().await?;
    if matches { Ok(()) } else { Err(invalid_code()) }
}

pub(super) fn code_mail(code: &str, purpose: OtpPurpose) -> (&'static str, String) {
    let what = match purpose {
        OtpPurpose::Registration => {
            "to confirm your email address and create your Echo Health account"
        }
        OtpPurpose::Login => "to sign in to Echo Health",
        OtpPurpose::EmailChange => "to move your Echo Health account to this email address",
    };
    (
        "Your Echo Health code",
        format!(
            "Your code: {code}\n\nUse it {what}. It expires in {} minutes and works once.\n\n\
             If you did not ask for it, ignore this mail; nobody can use it without your inbox.\n",
            OTP_TTL.num_minutes()
        ),
    )
}

/// Sends a code when the address may get one; answers the same in every case.
pub async fn request_email_otp(
    env: &Env<'_>,
    raw_email: &str,
    purpose: OtpPurpose,
    viewer: Option<&Viewer>,
) -> Result<CodeSent, AppError> {
    let email = validate::email("email", raw_email)?;
    if purpose == OtpPurpose::EmailChange && viewer.is_none() {
        return Err(AppError::Unauthenticated);
    }
    throttle_send(
        env,
        format!("otp:{}:{}", purpose.as_db(), address_key(&email)),
    )
    .await?;
    let account = find_user(env, &email).await?;
    match (purpose, &account) {
        // A new account for a free address, sign-in for an active one, a move to a free one.
        (OtpPurpose::Registration | OtpPurpose::EmailChange, None) | (OtpPurpose::Login, Some(users::Model { is_active: true, .. })) => {
            send_code(env, &email, purpose).await?;
            let actor = viewer.map(|v| v.user.id).or(account.as_ref().map(|a| a.id));
            let event = AuditEvent { event: AuditEventType::OtpSent, actor, subject: actor, ip: env.client.ip, details: json!({ "purpose": purpose.as_db() }) };
            env.audit(event).await?;
        }
        // The address is taken: its owner hears of the attempt instead of getting a code.
        (OtpPurpose::Registration | OtpPurpose::EmailChange, Some(_)) => env.notify(
            &email,
            "Someone tried to use your email address",
            "Someone asked to use this address for an Echo Health account, but it already has one.\n\n\
             If it was you, sign in instead (or reset your password). If not, you can ignore this mail.\n"
                .to_owned(),
        ).await?,
        // No active account to sign in to: nothing to send.
        (OtpPurpose::Login, _) => {}
    }
    Ok(CodeSent {
        expires_in: OTP_TTL,
        resend_after: SENDS_PER_ADDRESS[0].window,
    })
}
