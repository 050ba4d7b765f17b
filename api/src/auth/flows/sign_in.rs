//! Sign-in by password or code, with throttling per account, source and address, the slow
//! down after repeated failures, re-authentication for sensitive changes, and sign-out.

use chrono::Duration;
use entity::users;
use serde_json::json;

use super::super::{
    audit::AuditEvent,
    password,
    service::{self, NewSession, Revoke},
};
use crate::{
    context::Viewer,
    enums::{AuditEventType, OtpPurpose},
    error::AppError,
    rate_limit::{self, Rule},
    users::validate,
};

use super::codes::consume_code;
use super::common::*;

/// Failed password sign-ins for one account from one source (a client address, or a device
/// with a live session of the account): refused beyond this, so strangers' failures never
/// lock the owner out elsewhere (docs/auth.md "Sign-in throttling").
pub(super) const FAILURES_PER_ACCOUNT_AND_SOURCE: [Rule; 1] = [Rule::new(5, Duration::minutes(15))];

/// Failed sign-ins (password or code) from one client address, whatever the account.
pub(super) const FAILURES_PER_IP: [Rule; 1] = [Rule::new(20, Duration::minutes(15))];

/// Failed password sign-ins for one account from every source: never refused, but from the
/// `SLOW_DOWN_AFTER`th in `SLOW_DOWN_WINDOW` each attempt on the account waits, doubling from
/// one second up to `SLOW_DOWN_MAX` (a distributed guess slows down; the owner still gets in).
pub(super) const SLOW_DOWN_WINDOW: Duration = Duration::minutes(15);

pub(super) const SLOW_DOWN_AFTER: u64 = 10;

pub(super) const SLOW_DOWN_MAX: std::time::Duration = std::time::Duration::from_secs(8);

pub(super) async fn sign_in(
    env: &Env<'_>,
    user: users::Model,
    device: &Device,
    info: serde_json::Value,
) -> Result<SignedIn, AppError> {
    let (lifetime, idle_timeout) = env.services.sessions.for_device(device.remember);
    let new = NewSession {
        user_id: user.id,
        device_info: info,
        ip: env.client.ip,
        lifetime,
        idle_timeout,
    };
    let (token, session) = service::open_session(env.db, new, env.now()).await?;
    env.audit(env.own_event(AuditEventType::SignInSucceeded, user.id))
        .await?;
    Ok(SignedIn {
        token,
        user,
        session,
    })
}

// ---- sign-in throttling -------------------------------------------------------------------

/// Who is signing in, for throttling.
#[derive(Debug, Clone, Copy)]
pub(super) enum Source {
    /// A password from a client that holds no session of the account.
    Stranger,
    /// A password from a device with a live session of this account (`login` while signed
    /// in, re-authentication): throttled on its own, not with the client address.
    KnownDevice { session_id: i32 },
    /// A mailed one-time code: each code dies after `OTP_MAX_ATTEMPTS` wrong guesses and codes
    /// are sent at most `SENDS_PER_ADDRESS`, so only the client address is throttled here.
    Code,
}

/// The refusing buckets of `source` for the account whose `address_key` is `account`.
pub(super) fn failure_buckets(
    env: &Env<'_>,
    account: &str,
    source: Source,
) -> Vec<(String, &'static [Rule])> {
    let mut buckets = Vec::new();
    match source {
        Source::Stranger => {
            let ip = env
                .client
                .ip
                .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
            buckets.push((
                format!("sign-in:account:{account}:ip:{ip}"),
                &FAILURES_PER_ACCOUNT_AND_SOURCE[..],
            ));
        }
        Source::KnownDevice { session_id } => buckets.push((
            format!("sign-in:account:{account}:session:{session_id}"),
            &FAILURES_PER_ACCOUNT_AND_SOURCE[..],
        )),
        Source::Code => {}
    }
    if !matches!(source, Source::KnownDevice { .. })
        && let Some(ip) = env.client.ip
    {
        buckets.push((format!("sign-in:ip:{ip}"), &FAILURES_PER_IP[..]));
    }
    buckets
}

/// Takes a sign-in attempt slot in each of the source's buckets (RATE_LIMITED when one is
/// full). Slots are taken before the secret is checked, atomically, so parallel guesses cannot
/// all slip past a limit; a successful attempt gives its slots back, so only failures count.
/// A password attempt also counts on the account across all sources and, past
/// `SLOW_DOWN_AFTER` failures, waits before it is checked (a known device does not wait).
pub(super) async fn take_sign_in_slots(
    env: &Env<'_>,
    email: &str,
    source: Source,
) -> Result<Vec<i64>, AppError> {
    let account = address_key(email);
    let mut slots = Vec::new();
    for (bucket, rules) in failure_buckets(env, &account, source) {
        slots.push(rate_limit::hit(env.db, &bucket, rules, env.now()).await?);
    }
    if matches!(source, Source::Code) {
        return Ok(slots);
    }
    let bucket = format!("sign-in:account:{account}");
    let (slot, earlier) = rate_limit::record(env.db, &bucket, SLOW_DOWN_WINDOW, env.now()).await?;
    slots.push(slot);
    if matches!(source, Source::Stranger) {
        tokio::time::sleep(slow_down(earlier)).await;
    }
    Ok(slots)
}

/// The wait before a password attempt on an account that failed `earlier` times in the window.
pub(super) fn slow_down(earlier: u64) -> std::time::Duration {
    match earlier.checked_sub(SLOW_DOWN_AFTER) {
        None => std::time::Duration::ZERO,
        Some(over) => std::time::Duration::from_secs(1u64 << over.min(8)).min(SLOW_DOWN_MAX),
    }
}

pub(super) async fn sign_in_succeeded(env: &Env<'_>, slots: &[i64]) -> Result<(), AppError> {
    rate_limit::forget(env.db, slots).await?;
    Ok(())
}

pub(super) async fn sign_in_failed(
    env: &Env<'_>,
    user: Option<&users::Model>,
) -> Result<(), AppError> {
    let event = AuditEvent {
        event: AuditEventType::SignInFailed,
        actor: None,
        subject: user.map(|u| u.id),
        ip: env.client.ip,
        details: json!({}),
    };
    env.audit(event).await
}

/// Verifies `password` for the account at `email` (or a dummy hash when there is none or it
/// is deactivated, to take the same time). Failures count against the sign-in limits.
pub(super) async fn check_password(
    env: &Env<'_>,
    email: &str,
    password: &str,
    user: Option<&users::Model>,
    source: Source,
) -> Result<(), AppError> {
    let slots = take_sign_in_slots(env, email, source).await?;
    let usable = user.filter(|u| u.is_active);
    let hash = usable.map_or(env.services.dummy_password_hash.as_str(), |u| {
        u.password_hash.as_str()
    });
    let matches = password::verify(password, hash).await?;
    if matches && usable.is_some() {
        return sign_in_succeeded(env, &slots).await;
    }
    sign_in_failed(env, user).await?;
    Err(AppError::InvalidCredentials)
}

/// Re-authentication of a signed-in person by password: a wrong one counts as a sign-in
/// failure of that device and is reported against `field`.
pub(super) async fn reauthenticate(
    env: &Env<'_>,
    viewer: &Viewer,
    password: &str,
    field: &str,
) -> Result<(), AppError> {
    let source = Source::KnownDevice {
        session_id: viewer.session.id,
    };
    check_password(
        env,
        &viewer.user.email,
        password,
        Some(&viewer.user),
        source,
    )
    .await
    .map_err(|err| match err {
        AppError::InvalidCredentials => AppError::bad_input(field, "the password is not right"),
        other => other,
    })
}

/// Signs in with a password. `signed_in` is the caller's own session, if the request came
/// with one: a device already signed in to this account is throttled on its own, so strangers'
/// failures never keep it out.
pub async fn login(
    env: &Env<'_>,
    raw_email: &str,
    password: &str,
    device: Device,
    signed_in: Option<&Viewer>,
) -> Result<SignedIn, AppError> {
    let email = validate::email("email", raw_email)?;
    let info = device_info(&device, env.client)?;
    let user = find_user(env, &email).await?;
    let source = match (signed_in, &user) {
        (Some(viewer), Some(user)) if viewer.user.id == user.id => Source::KnownDevice {
            session_id: viewer.session.id,
        },
        _ => Source::Stranger,
    };
    check_password(env, &email, password, user.as_ref(), source).await?;
    let user = user.ok_or(AppError::InvalidCredentials)?;
    sign_in(env, user, &device, info).await
}

pub async fn login_with_otp(
    env: &Env<'_>,
    raw_email: &str,
    code: &str,
    device: Device,
) -> Result<SignedIn, AppError> {
    let email = validate::email("email", raw_email)?;
    let info = device_info(&device, env.client)?;
    let slots = take_sign_in_slots(env, &email, Source::Code).await?;
    let user = find_user(env, &email).await?.filter(|u| u.is_active);
    if let Err(err) = consume_code(env, &email, OtpPurpose::Login, code).await {
        sign_in_failed(env, user.as_ref()).await?;
        return Err(err);
    }
    sign_in_succeeded(env, &slots).await?;
    let user = user.ok_or_else(invalid_code)?;
    sign_in(env, user, &device, info).await
}

// ---- sessions ------------------------------------------------------------------------------

pub async fn revoke(env: &Env<'_>, viewer: &Viewer, which: Revoke) -> Result<u64, AppError> {
    let only_one = matches!(which, Revoke::One(_));
    let revoked = service::revoke_sessions(env.db, viewer.user.id, which).await?;
    if only_one && revoked == 0 {
        return Err(AppError::NotFound);
    }
    let event = env
        .own_event(AuditEventType::SessionRevoked, viewer.user.id)
        .with_details(json!({ "count": revoked }));
    env.audit(event).await?;
    Ok(revoked)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[test]
    fn password_attempts_slow_down_after_ten_failures_doubling_to_eight_seconds() {
        let waits: Vec<u64> = (0..16).map(|n| super::slow_down(n).as_secs()).collect();
        assert_eq!(waits, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 4, 8, 8, 8]);
        assert_eq!(super::slow_down(u64::MAX), Duration::from_secs(8));
    }
}
