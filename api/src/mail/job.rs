//! Mail as a durable job (`send_mail`): queued in the transaction that makes what it announces,
//! delivered by the job runner, retried with backoff while the server is unreachable or
//! answers 4xx, given up on a 5xx.
//!
//! The message (recipient, subject, body: one-time codes and reset tokens) is sealed at rest
//! with AES-256-GCM under a key derived from the server key (`OTP_SECRET`), so the `jobs`
//! table never holds a usable secret. Once the server has accepted the message, the sealed
//! part is erased before anything else: a job that runs again (its worker died before marking
//! it done) finds nothing to send, so a delivery is never repeated, except in the moment
//! between the server's acceptance and that erasure; then the copy has the same `Message-ID`.
//! A message whose content has expired (a code past its lifetime) is not sent at all.

use aes_gcm::{
    Aes256Gcm, Key, Nonce,
    aead::{Aead, KeyInit, Payload},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::{DateTime, Duration, Utc};
use futures_util::future::BoxFuture;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};
use serde::{Deserialize, Serialize};

use super::{OutgoingMail, build_message};
use crate::{enums::JobKind, error::error_chain, jobs, jobs::JobError, services::AppServices};

/// Labels the key derived from the server key, so it serves nothing else.
const SEAL_KEY_LABEL: &[u8] = b"echo-health mail seal v1";
/// Binds a sealed message to its use: it opens as a queued mail and as nothing else.
const SEAL_CONTEXT: &[u8] = b"send_mail";

/// The job's payload. Only the recipient's domain (which the log names too) is readable.
#[derive(Debug, Serialize, Deserialize)]
struct QueuedMail {
    recipient_domain: String,
    message_id: String,
    /// After this the content is stale (a dead code): the message is dropped, not sent.
    not_after: DateTime<Utc>,
    /// Base64 of the 96-bit nonce and of the sealed [`OutgoingMail`] (JSON); both erased once
    /// the message is delivered or given up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nonce: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sealed: Option<String>,
}

fn cipher(services: &AppServices) -> Aes256Gcm {
    let key = services.otp_key.sign(SEAL_KEY_LABEL);
    Aes256Gcm::new(&Key::<Aes256Gcm>::from(key))
}

fn seal(services: &AppServices, mail: &OutgoingMail) -> Result<(String, String), DbErr> {
    let mut nonce = [0u8; 12];
    getrandom::fill(&mut nonce).map_err(|err| DbErr::Custom(err.to_string()))?;
    let plain = serde_json::to_vec(mail).map_err(|err| DbErr::Custom(err.to_string()))?;
    let sealed = cipher(services)
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: &plain,
                aad: SEAL_CONTEXT,
            },
        )
        .map_err(|_| DbErr::Custom("could not seal a mail".into()))?;
    Ok((STANDARD.encode(nonce), STANDARD.encode(sealed)))
}

fn open(services: &AppServices, nonce: &str, sealed: &str) -> Option<OutgoingMail> {
    let nonce: [u8; 12] = STANDARD.decode(nonce).ok()?.try_into().ok()?;
    let sealed = STANDARD.decode(sealed).ok()?;
    let plain = cipher(services)
        .decrypt(
            &Nonce::from(nonce),
            Payload {
                msg: &sealed,
                aad: SEAL_CONTEXT,
            },
        )
        .ok()?;
    serde_json::from_slice(&plain).ok()
}

/// Queues `mail` on `conn` (the caller's transaction, so the mail exists exactly when what it
/// announces does); it is worth sending for `valid_for`. Wake the runner after committing
/// ([`AppServices::wake_jobs`]) to send it at once.
/// `dedupe_key`: a mail already queued or sent under it is not queued again (a job that
/// queues mail may run twice).
pub async fn queue(
    conn: &impl ConnectionTrait,
    services: &AppServices,
    mail: &OutgoingMail,
    valid_for: Duration,
    dedupe_key: Option<String>,
) -> Result<(), DbErr> {
    let now = services.clock.now();
    let (nonce, sealed) = seal(services, mail)?;
    let queued = QueuedMail {
        recipient_domain: recipient_domain(&mail.to).to_owned(),
        message_id: format!(
            "<{}@{}>",
            uuid::Uuid::new_v4().simple(),
            services.mail_from.email.domain()
        ),
        not_after: now + valid_for,
        nonce: Some(nonce),
        sealed: Some(sealed),
    };
    let payload = serde_json::to_value(&queued).map_err(|err| DbErr::Custom(err.to_string()))?;
    jobs::enqueue(
        conn,
        JobKind::SendMail,
        payload,
        dedupe_key,
        services.job_max_attempts,
        now,
    )
    .await
}

fn recipient_domain(to: &str) -> &str {
    to.rsplit('@').next().unwrap_or_default()
}

/// Delivers the queued mail of job `job_id`.
/// The `send_mail` job: delivers one sealed mail.
pub struct SendMail;

impl crate::jobs::Job for SendMail {
    fn kind(&self) -> JobKind {
        JobKind::SendMail
    }
    fn run<'a>(&'a self, cx: crate::jobs::Context<'a>) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(run(cx.db, cx.services, cx.job.id, &cx.job.payload))
    }
    /// A mail given up is erased: its sealed content is not kept.
    fn record_failure<'a>(
        &'a self,
        cx: crate::jobs::Context<'a>,
        _reason: Option<&'a str>,
        _now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<(), DbErr>> {
        Box::pin(record_failure(cx.db, cx.job.id))
    }
}

pub async fn run(
    db: &impl ConnectionTrait,
    services: &AppServices,
    job_id: i64,
    payload: &serde_json::Value,
) -> Result<(), JobError> {
    let queued: QueuedMail = serde_json::from_value(payload.clone())
        .map_err(|err| JobError::Permanent(format!("unreadable mail job: {err}")))?;
    let (Some(nonce), Some(sealed)) = (&queued.nonce, &queued.sealed) else {
        // Delivered (or given up) by an earlier run whose end was not recorded.
        return Ok(());
    };
    if services.clock.now() > queued.not_after {
        return Err(JobError::Permanent(
            "expired before it could be delivered".into(),
        ));
    }
    let mail = open(services, nonce, sealed).ok_or_else(|| {
        JobError::Permanent("sealed under another server key (OTP_SECRET changed)".into())
    })?;
    let message = build_message(&services.mail_from, &mail, Some(queued.message_id.clone()))
        .map_err(|err| JobError::Permanent(format!("not a valid message: {err}")))?;
    if let Err(err) = services.mailer.send(message).await {
        tracing::warn!(job = job_id, recipient_domain = %queued.recipient_domain, error = %err.reason, "mail not sent");
        return Err(if err.permanent {
            JobError::Permanent(err.reason)
        } else {
            JobError::Retry(err.reason)
        });
    }
    tracing::info!(job = job_id, recipient_domain = %queued.recipient_domain, "mail sent");
    // Accepted: erase the content first, so that no later run can send it again. If this
    // fails the job is still marked done; the sealed text then stays, unreadable without the
    // server key.
    if let Err(err) = erase(db, job_id, Some(services.clock.now())).await {
        tracing::error!(job = job_id, error = %error_chain(&err), "could not erase a delivered mail");
    }
    Ok(())
}

/// A mail given up: its content is erased, the rest (domain, times, error) stays.
pub async fn record_failure(db: &impl ConnectionTrait, job_id: i64) -> Result<(), DbErr> {
    erase(db, job_id, None).await
}

async fn erase(
    db: &impl ConnectionTrait,
    job_id: i64,
    delivered_at: Option<DateTime<Utc>>,
) -> Result<(), DbErr> {
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE jobs SET payload = (payload - 'nonce' - 'sealed') \
             || CASE WHEN $2::timestamptz IS NULL THEN '{}'::jsonb \
                     ELSE jsonb_build_object('delivered_at', $2::timestamptz) END \
         WHERE id = $1",
        [job_id.into(), delivered_at.into()],
    ))
    .await?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::config::Settings;

    fn services() -> AppServices {
        let mut settings = Settings::for_database("postgres://unused");
        settings.server.data_dir =
            std::env::temp_dir().join(format!("echo-mail-{}", uuid::Uuid::new_v4()));
        AppServices::from_settings(&settings, None).unwrap()
    }

    #[test]
    fn a_sealed_mail_opens_with_its_key_only_and_shows_nothing_in_the_clear() {
        let services = services();
        let mail = OutgoingMail {
            to: "ann@example.com".into(),
            subject: "Your Echo Health code".into(),
            body: "Your code: 123456".into(),
            unsubscribe: None,
        };
        let (nonce, sealed) = seal(&services, &mail).unwrap();
        assert!(
            !sealed.contains("123456")
                && !STANDARD
                    .decode(&sealed)
                    .unwrap()
                    .windows(6)
                    .any(|w| w == b"123456")
        );
        assert_eq!(open(&services, &nonce, &sealed).unwrap().body, mail.body);

        // Another server key, a changed byte or another nonce: nothing opens.
        assert!(open(&self::services(), &nonce, &sealed).is_none());
        let mut bytes = STANDARD.decode(&sealed).unwrap();
        bytes[0] ^= 1;
        assert!(open(&services, &nonce, &STANDARD.encode(&bytes)).is_none());
        let (other_nonce, _) = seal(&services, &mail).unwrap();
        assert_ne!(other_nonce, nonce);
        assert!(open(&services, &other_nonce, &sealed).is_none());
        assert!(open(&services, "not base64!", &sealed).is_none());
    }
}
