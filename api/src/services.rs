//! What domain services need besides the database: the clock, mail, keys and policies.
//! Built once at start-up (`AppServices::from_settings`), shared by every request.

use std::{path::Path, sync::Arc};

use chrono::Duration;
use lettre::message::Mailbox;

use crate::{
    ai::{OpenAiCompatible, SharedAi},
    auth::{otp::OtpKey, password, session_cache::SessionCache},
    clock::{SharedClock, SystemClock},
    config::Settings,
    error::BoxError,
    mail::{OutboxMailer, SharedMailer, SmtpMailer},
    storage::{LocalStorage, SharedStorage},
};

/// How long sessions live. ASVS level 2 defaults: 12 h absolute, 30 min idle; a remembered
/// device: 30 days absolute, 7 days idle.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    pub ttl: Duration,
    pub idle: Duration,
    pub remembered_ttl: Duration,
    pub remembered_idle: Duration,
}

impl SessionPolicy {
    /// (absolute lifetime, idle timeout) for a new session.
    pub fn for_device(&self, remember: bool) -> (Duration, Duration) {
        if remember {
            (self.remembered_ttl, self.remembered_idle)
        } else {
            (self.ttl, self.idle)
        }
    }
}

pub struct AppServices {
    pub clock: SharedClock,
    pub mailer: SharedMailer,
    pub mail_from: Mailbox,
    pub otp_key: OtpKey,
    pub sessions: SessionPolicy,
    /// Callers resolved a moment ago (`auth::session_cache`).
    pub session_cache: SessionCache,
    pub password_reset_url: Option<String>,
    /// Where links in mail start (`PUBLIC_BASE_URL`, else this server's `http://HOST:PORT`).
    pub public_base_url: String,
    /// How late a reminder may still be sent.
    pub reminder_grace: Duration,
    /// The AI provider, when `AI_BASE_URL` is set.
    pub ai: Option<SharedAi>,
    /// Attempts a background job gets.
    pub job_max_attempts: i32,
    /// Chat messages a user may send per minute.
    pub chat_messages_per_minute: u64,
    /// Uploaded files.
    pub storage: SharedStorage,
    pub uploads: UploadPolicy,
    /// A real argon2id hash of a random password: sign-in for an unknown email verifies
    /// against it, so it costs the same time as a wrong password.
    pub dummy_password_hash: String,
    /// Wakes an idle job worker of this process at once (mail just queued), instead of at
    /// its next poll.
    pub job_wake: tokio::sync::Notify,
    /// Times this process's workers have looked for due jobs (`echo_job_polls_total`): shows
    /// the workers are alive, and lets a test know a worker has looked since a moment.
    pub job_polls: std::sync::atomic::AtomicU64,
}

pub type SharedServices = Arc<AppServices>;

/// Limits and tools for uploaded files.
#[derive(Debug, Clone)]
pub struct UploadPolicy {
    pub report_max_bytes: u64,
    pub avatar_max_bytes: u64,
    /// The Tesseract command for text in images.
    pub ocr_command: String,
}

impl AppServices {
    pub fn from_settings(
        settings: &Settings,
        clock: Option<SharedClock>,
    ) -> Result<Self, BoxError> {
        let mailer: SharedMailer = match &settings.mail.smtp_url {
            Some(url) => Arc::new(SmtpMailer::from_url(url)?),
            None => {
                let outbox = settings.outbox_dir();
                tracing::info!(outbox = %outbox.display(), "no SMTP_URL: mail is written to the outbox folder");
                Arc::new(OutboxMailer::new(outbox)?)
            }
        };
        let otp_key = match &settings.accounts.otp_secret {
            Some(hex_key) => OtpKey::from_hex(hex_key)?,
            None => load_or_create_key(&settings.otp_key_file())?,
        };
        Ok(Self {
            clock: clock.unwrap_or_else(|| Arc::new(SystemClock)),
            mailer,
            mail_from: settings.mail.mail_from.parse()?,
            otp_key,
            sessions: SessionPolicy {
                ttl: Duration::hours(settings.accounts.session_ttl_hours.into()),
                idle: Duration::minutes(settings.accounts.session_idle_minutes.into()),
                remembered_ttl: Duration::days(
                    settings.accounts.remembered_session_ttl_days.into(),
                ),
                remembered_idle: Duration::days(
                    settings.accounts.remembered_session_idle_days.into(),
                ),
            },
            session_cache: SessionCache::new(
                settings.accounts.session_cache_size,
                std::time::Duration::from_secs(settings.accounts.session_cache_seconds),
            ),
            password_reset_url: settings.accounts.password_reset_url.clone(),
            public_base_url: settings
                .server
                .public_base_url
                .clone()
                .unwrap_or_else(|| {
                    format!("http://{}:{}", settings.server.host, settings.server.port)
                })
                .trim_end_matches('/')
                .to_owned(),
            reminder_grace: Duration::minutes(settings.jobs.reminder_grace_minutes.into()),
            ai: match &settings.ai.ai_base_url {
                Some(url) => Some(Arc::new(
                    OpenAiCompatible::new(
                        url,
                        settings.ai.ai_api_key.clone(),
                        settings.ai.ai_model.clone(),
                        std::time::Duration::from_secs(settings.ai.ai_timeout_secs),
                    )?
                    .with_retries(settings.ai.ai_retries),
                )),
                None => None,
            },
            job_max_attempts: settings.jobs.job_max_attempts,
            chat_messages_per_minute: settings.ai.chat_messages_per_minute,
            storage: Arc::new(LocalStorage::new(settings.storage_root())),
            uploads: UploadPolicy {
                report_max_bytes: settings.storage.upload_max_bytes as u64,
                avatar_max_bytes: settings.storage.avatar_max_bytes as u64,
                ocr_command: settings.storage.ocr_command.clone(),
            },
            dummy_password_hash: password::hash_blocking(&crate::auth::token::generate())?,
            job_wake: tokio::sync::Notify::new(),
            job_polls: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// Tells an idle job worker here that work was committed (call after the commit).
    pub fn wake_jobs(&self) {
        self.job_wake.notify_one();
    }
}

/// The local OTP key: read from `path`, or generated there (mode 0600) on first run.
fn load_or_create_key(path: &Path) -> Result<OtpKey, BoxError> {
    if let Ok(existing) = std::fs::read_to_string(path) {
        return Ok(OtpKey::from_hex(&existing)?);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let key = OtpKey::generate();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    std::io::Write::write_all(&mut options.open(path)?, key.to_hex().as_bytes())?;
    tracing::info!(path = %path.display(), "generated the one-time-code key");
    Ok(key)
}
