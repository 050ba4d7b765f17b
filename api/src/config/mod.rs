//! Runtime settings: environment variables (a `.env` file is read first) with CLI flags over them,
//! grouped by concern (each group its own module, flattened into one set of flags). Every
//! setting has a default that is safe for local use; the README's table lists them all.

mod accounts;
mod ai;
mod database;
mod graphql;
mod jobs;
mod mail;
mod server;
mod storage;

use std::path::PathBuf;

use clap::Args;

pub use self::{
    accounts::AccountSettings,
    ai::AiSettings,
    database::{DEFAULT_DATABASE_URL, DatabaseSettings},
    graphql::GraphqlSettings,
    jobs::JobSettings,
    mail::MailSettings,
    server::{LogFormat, ServerSettings},
    storage::StorageSettings,
};

#[derive(Debug, Clone, Args)]
pub struct Settings {
    #[command(flatten)]
    pub server: ServerSettings,
    #[command(flatten)]
    pub database: DatabaseSettings,
    #[command(flatten)]
    pub graphql: GraphqlSettings,
    #[command(flatten)]
    pub accounts: AccountSettings,
    #[command(flatten)]
    pub mail: MailSettings,
    #[command(flatten)]
    pub ai: AiSettings,
    #[command(flatten)]
    pub jobs: JobSettings,
    #[command(flatten)]
    pub storage: StorageSettings,
}

impl Settings {
    /// Settings for tests and tools: the defaults, pointed at `database_url`, on a free port.
    pub fn for_database(database_url: impl Into<String>) -> Self {
        Self {
            server: ServerSettings {
                host: "127.0.0.1".into(),
                port: 0,
                http_workers: Some(1),
                production: false,
                trusted_proxies: Vec::new(),
                cors_allowed_origins: Vec::new(),
                cors_allowed_headers: crate::http::security::CLIENT_HEADERS
                    .map(String::from)
                    .to_vec(),
                public_base_url: None,
                metrics_token: None,
                log_format: LogFormat::Text,
                data_dir: std::env::temp_dir().join("echo-health-test"),
            },
            database: DatabaseSettings {
                database_url: database_url.into(),
                database_read_url: None,
                read_after_write_secs: 10,
                database_direct_url: None,
                db_pool_size: 5,
                db_acquire_timeout_secs: 2,
                db_connect_timeout_secs: 5,
                skip_migrations: false,
            },
            graphql: GraphqlSettings {
                graphql_body_limit: 1024 * 1024,
                body_idle_timeout_secs: 10,
                body_min_bytes_per_sec: 1024,
                graphql_depth_limit: 16,
                graphql_complexity_limit: 20_000,
                graphql_max_aliases: 30,
                graphql_max_root_fields: 20,
                graphql_timeout_secs: 30,
                graphql_introspection: None,
                graphql_suggestions: None,
                graphql_document_cache_size: 500,
                apq_cache_size: 1000,
                persisted_queries_file: None,
                ws_init_timeout_secs: 3,
                ws_reauth_interval_secs: 60,
            },
            accounts: AccountSettings {
                // A fresh random key per instance: nothing to share, nothing on disk.
                otp_secret: Some(crate::auth::otp::OtpKey::generate().to_hex()),
                password_reset_url: None,
                session_ttl_hours: 12,
                session_idle_minutes: 30,
                remembered_session_ttl_days: 30,
                remembered_session_idle_days: 7,
                session_cache_size: 10_000,
                session_cache_seconds: 30,
            },
            mail: MailSettings {
                smtp_url: None,
                mail_from: "Echo Health <no-reply@echo-health.local>".into(),
            },
            ai: AiSettings {
                ai_base_url: None,
                ai_api_key: None,
                ai_model: "test-model".into(),
                ai_timeout_secs: 2,
                ai_retries: 1,
                chat_messages_per_minute: 20,
            },
            jobs: JobSettings {
                job_workers: 1,
                job_poll_interval_ms: 50,
                job_lease_secs: 300,
                job_retry_base_secs: 0,
                job_retention_days: 30,
                job_max_attempts: 3,
                reminder_plan_interval_ms: 100,
                reminder_grace_minutes: 15,
            },
            storage: StorageSettings {
                // Each instance its own folder, so tests never see each other's files.
                storage_root: Some(
                    std::env::temp_dir()
                        .join("echo-health-test")
                        .join(uuid::Uuid::new_v4().to_string()),
                ),
                upload_max_bytes: 20 * 1024 * 1024,
                avatar_max_bytes: 5 * 1024 * 1024,
                ocr_command: "tesseract".into(),
                storage_sweep_interval_secs: 0,
                storage_orphan_grace_secs: 3600,
                download_link_ttl_secs: 900,
            },
        }
    }

    /// Where migrations and LISTEN connect: a session, never a transaction pooler.
    pub fn direct_database_url(&self) -> &str {
        self.database
            .database_direct_url
            .as_deref()
            .unwrap_or(&self.database.database_url)
    }

    /// Where mail goes without `SMTP_URL`.
    pub fn outbox_dir(&self) -> PathBuf {
        self.server.data_dir.join("outbox")
    }

    /// The generated one-time-code key, when `OTP_SECRET` is not set.
    pub fn otp_key_file(&self) -> PathBuf {
        self.server.data_dir.join("otp-secret")
    }

    pub fn storage_root(&self) -> PathBuf {
        self.storage
            .storage_root
            .clone()
            .unwrap_or_else(|| self.server.data_dir.join("files"))
    }
}
