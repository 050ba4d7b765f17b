//! One-click unsubscribe from email reminders (RFC 8058). A reminder mail carries
//! `List-Unsubscribe: <{PUBLIC_BASE_URL}/unsubscribe?token=...>` and
//! `List-Unsubscribe-Post: List-Unsubscribe=One-Click`; a POST to that URL turns the user's
//! `notifications_email` setting off.
//!
//! The token names the account and the moment `notifications_email` was last written (0 if
//! never), signed with HMAC-SHA256 under the server key. Turning the setting off writes it,
//! so a token works once; and one from before the user turned reminders back on is refused.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use subtle::ConstantTimeEq;

use crate::{auth::otp::OtpKey, error::AppError, services::AppServices};

const SETTING: &str = "notifications_email";

fn mac(key: &OtpKey, user_id: i32, state: i64) -> [u8; 32] {
    key.sign(format!("unsubscribe\n{user_id}\n{state}").as_bytes())
}

/// The token for `user_id` while `notifications_email` stands as `state`.
pub fn token(key: &OtpKey, user_id: i32, state: i64) -> String {
    let signature = URL_SAFE_NO_PAD.encode(mac(key, user_id, state));
    format!("{user_id}.{state}.{signature}")
}

/// The account and state a token was issued for, if this server issued it.
fn verify(key: &OtpKey, token: &str) -> Option<(i32, i64)> {
    let mut parts = token.splitn(3, '.');
    let user_id: i32 = parts.next()?.parse().ok()?;
    let state: i64 = parts.next()?.parse().ok()?;
    let signature = URL_SAFE_NO_PAD.decode(parts.next()?).ok()?;
    let ok: bool = mac(key, user_id, state).ct_eq(signature.as_slice()).into();
    ok.then_some((user_id, state))
}

/// When `notifications_email` was last written for `user_id`, in microseconds (0: never).
pub async fn state(conn: &impl ConnectionTrait, user_id: i32) -> Result<i64, AppError> {
    let setting = crate::settings::service::get(conn, user_id, SETTING).await?;
    Ok(setting
        .and_then(|s| s.updated_at)
        .map_or(0, |at| at.timestamp_micros()))
}

/// The link for a mail to `user_id`.
pub async fn link(
    conn: &impl ConnectionTrait,
    services: &AppServices,
    user_id: i32,
) -> Result<String, AppError> {
    let state = state(conn, user_id).await?;
    Ok(format!(
        "{}/unsubscribe?token={}",
        services.public_base_url,
        token(&services.otp_key, user_id, state)
    ))
}

/// What a presented token did.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Email reminders are now off.
    Unsubscribed,
    /// Issued by this server, but used already or out of date.
    Spent,
    /// Not a token this server issued.
    Invalid,
}

/// Turns email reminders off for the token's account.
pub async fn unsubscribe(
    db: &DatabaseConnection,
    services: &AppServices,
    token: &str,
) -> Result<Outcome, AppError> {
    let Some((user_id, issued)) = verify(&services.otp_key, token) else {
        return Ok(Outcome::Invalid);
    };
    if state(db, user_id).await? != issued {
        return Ok(Outcome::Spent);
    }
    crate::settings::service::set(db, user_id, SETTING, "false", None, services.clock.now())
        .await?;
    Ok(Outcome::Unsubscribed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_only_unchanged_and_under_its_key() {
        let key = OtpKey::generate();
        let token = token(&key, 42, 1_700_000_000_000_000);
        assert_eq!(verify(&key, &token), Some((42, 1_700_000_000_000_000)));
        assert_eq!(verify(&OtpKey::generate(), &token), None);
        assert_eq!(verify(&key, &token.replacen("42.", "43.", 1)), None);
        assert_eq!(verify(&key, &token.replacen(".1700", ".1701", 1)), None);
        assert_eq!(verify(&key, "42.0"), None);
        assert_eq!(verify(&key, ""), None);
    }
}
