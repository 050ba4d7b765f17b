//! Runtime settings: environment variables (a `.env` file is read first) with CLI flags over them.
//! Every setting has a default that is safe for local use; the README's table lists them all.

use std::{net::IpAddr, path::PathBuf};

use clap::{Args, ValueEnum};

pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/echo_health";

#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// PostgreSQL connection URL; the database is created at start when it is missing.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,

    /// Address to listen on.
    #[arg(long, env = "HOST", default_value = "127.0.0.1", global = true)]
    pub host: String,

    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "PORT", default_value_t = 8080, global = true)]
    pub port: u16,

    /// A read replica: queries of signed-out callers and of users who have not written lately
    /// are served from it; mutations, sign-in checks and staff requests use the primary
    /// (docs/scaling.md). Unset: everything uses DATABASE_URL.
    #[arg(long, env = "DATABASE_READ_URL", global = true)]
    pub database_read_url: Option<String>,

    /// After a mutation, a session reads from the primary for this many seconds, so it sees its
    /// own writes however far the replica lags.
    #[arg(
        long,
        env = "READ_AFTER_WRITE_SECS",
        default_value_t = 10,
        global = true
    )]
    pub read_after_write_secs: u64,

    /// A direct connection (not through a transaction pooler such as PgBouncer) for what needs
    /// a session of its own: migrations (an advisory lock) and LISTEN. Unset: DATABASE_URL.
    #[arg(long, env = "DATABASE_DIRECT_URL", global = true)]
    pub database_direct_url: Option<String>,

    /// Maximum number of pooled database connections for requests, shared out among the HTTP
    /// workers (each polls its own) and split in each between plain reads (`read_pool`) and
    /// the rest (`db::split_worker_pool`).
    #[arg(long, env = "DB_POOL_SIZE", default_value_t = 10, global = true)]
    pub db_pool_size: u32,

    /// Seconds to wait for a pooled connection before the request fails.
    #[arg(
        long,
        env = "DB_ACQUIRE_TIMEOUT_SECS",
        default_value_t = 5,
        global = true
    )]
    pub db_acquire_timeout_secs: u64,

    /// Seconds a start-up check waits for a database that does not answer (a refused
    /// connection fails at once).
    #[arg(
        long,
        env = "DB_CONNECT_TIMEOUT_SECS",
        default_value_t = 5,
        global = true
    )]
    pub db_connect_timeout_secs: u64,

    /// Largest accepted body of a GraphQL request, in bytes (uploads have their own limit).
    #[arg(long, env = "GRAPHQL_BODY_LIMIT", default_value_t = 1024 * 1024, global = true)]
    pub graphql_body_limit: usize,

    /// Longest wait, in seconds, for the next bytes of a request body; also the base of its
    /// total deadline (docs/api.md "Body timeouts"). A stalled body is answered 408.
    #[arg(
        long,
        env = "BODY_IDLE_TIMEOUT_SECS",
        default_value_t = 10,
        global = true
    )]
    pub body_idle_timeout_secs: u64,

    /// Slowest accepted average rate of a request body, in bytes per second: a body may take
    /// `BODY_IDLE_TIMEOUT_SECS` plus its length at this rate (the largest upload's, when the
    /// length is not declared).
    #[arg(
        long,
        env = "BODY_MIN_BYTES_PER_SEC",
        default_value_t = 1024,
        global = true
    )]
    pub body_min_bytes_per_sec: u64,

    /// Deepest GraphQL selection accepted.
    #[arg(long, env = "GRAPHQL_DEPTH_LIMIT", default_value_t = 16, global = true)]
    pub graphql_depth_limit: usize,

    /// Largest query complexity accepted; a connection costs its page size (`first`/`last`,
    /// 20 by default) times what it selects per item.
    #[arg(
        long,
        env = "GRAPHQL_COMPLEXITY_LIMIT",
        default_value_t = 20_000,
        global = true
    )]
    pub graphql_complexity_limit: usize,

    /// Most aliases in one GraphQL document.
    #[arg(long, env = "GRAPHQL_MAX_ALIASES", default_value_t = 30, global = true)]
    pub graphql_max_aliases: usize,

    /// Most root fields in one operation.
    #[arg(
        long,
        env = "GRAPHQL_MAX_ROOT_FIELDS",
        default_value_t = 20,
        global = true
    )]
    pub graphql_max_root_fields: usize,

    /// Seconds a GraphQL request over HTTP may run before it is stopped.
    #[arg(
        long,
        env = "GRAPHQL_TIMEOUT_SECS",
        default_value_t = 30,
        global = true
    )]
    pub graphql_timeout_secs: u64,

    /// Production profile: field suggestions and introspection off unless set on explicitly
    /// (clients generate code from `schema.graphql`).
    #[arg(long, env = "PRODUCTION", global = true)]
    pub production: bool,

    /// Introspection (`__schema`, `__type`); default: on, off with `--production`.
    #[arg(long, env = "GRAPHQL_INTROSPECTION", global = true)]
    pub graphql_introspection: Option<bool>,

    /// "Did you mean ...?" suggestions in errors; default: on, off with `--production`.
    #[arg(long, env = "GRAPHQL_SUGGESTIONS", global = true)]
    pub graphql_suggestions: Option<bool>,

    /// Parsed GraphQL documents remembered per server (texts up to 8 KiB); 0: parse every time.
    #[arg(
        long,
        env = "GRAPHQL_DOCUMENT_CACHE_SIZE",
        default_value_t = 500,
        global = true
    )]
    pub graphql_document_cache_size: usize,

    /// Automatic persisted queries (Apollo APQ) remembered per server; 0 turns APQ off.
    #[arg(long, env = "APQ_CACHE_SIZE", default_value_t = 1000, global = true)]
    pub apq_cache_size: usize,

    /// Production allow-list: a JSON object of SHA-256 -> operation text; when set, only
    /// those operations run (over HTTP and WebSocket).
    #[arg(long, env = "PERSISTED_QUERIES_FILE", global = true)]
    pub persisted_queries_file: Option<PathBuf>,

    /// Bearer token `/metrics` requires; unset: open (keep it on a private network).
    #[arg(long, env = "METRICS_TOKEN", global = true, hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// HTTP worker threads (default: one per CPU core).
    #[arg(long, env = "HTTP_WORKERS", global = true)]
    pub http_workers: Option<usize>,

    /// Do not create the database or apply pending migrations when serving.
    #[arg(long, env = "SKIP_MIGRATIONS", global = true)]
    pub skip_migrations: bool,

    /// Folder for local state: the outbox and, unless OTP_SECRET is set, the generated secret.
    #[arg(long, env = "DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,

    /// SMTP server for outgoing mail (lettre URL: smtp://host:port, smtps://user:pass@host).
    /// Unset: mail is written as .eml files into DATA_DIR/outbox.
    #[arg(long, env = "SMTP_URL", global = true)]
    pub smtp_url: Option<String>,

    /// Sender of outgoing mail.
    #[arg(
        long,
        env = "MAIL_FROM",
        default_value = "Echo Health <no-reply@echo-health.local>",
        global = true
    )]
    pub mail_from: String,

    /// Key for one-time-code hashes: 64 hex characters. Unset: generated once into
    /// DATA_DIR/otp-secret. Replicas must share it.
    #[arg(long, env = "OTP_SECRET", global = true, hide_env_values = true)]
    pub otp_secret: Option<String>,

    /// Link mailed with password-reset tokens; the token is appended. Unset: the mail shows the
    /// token only.
    #[arg(long, env = "PASSWORD_RESET_URL", global = true)]
    pub password_reset_url: Option<String>,

    /// Absolute lifetime of a session, in hours.
    #[arg(long, env = "SESSION_TTL_HOURS", default_value_t = 12, global = true)]
    pub session_ttl_hours: u32,

    /// A session unused this many minutes ends.
    #[arg(
        long,
        env = "SESSION_IDLE_MINUTES",
        default_value_t = 30,
        global = true
    )]
    pub session_idle_minutes: u32,

    /// Absolute lifetime of a session on a remembered device, in days.
    #[arg(
        long,
        env = "REMEMBERED_SESSION_TTL_DAYS",
        default_value_t = 30,
        global = true
    )]
    pub remembered_session_ttl_days: u32,

    /// A remembered device's session unused this many days ends.
    #[arg(
        long,
        env = "REMEMBERED_SESSION_IDLE_DAYS",
        default_value_t = 7,
        global = true
    )]
    pub remembered_session_idle_days: u32,

    /// Proxies whose X-Forwarded-For is believed (comma-separated addresses).
    #[arg(long, env = "TRUSTED_PROXIES", value_delimiter = ',', global = true)]
    pub trusted_proxies: Vec<IpAddr>,

    /// OpenAI-compatible API root for AI features (e.g. https://api.openai.com/v1 or a local
    /// llama.cpp / vLLM server's /v1). Unset: no external AI call is ever made.
    #[arg(long, env = "AI_BASE_URL", global = true)]
    pub ai_base_url: Option<String>,

    /// Bearer key for the AI API, if it needs one.
    #[arg(long, env = "AI_API_KEY", global = true, hide_env_values = true)]
    pub ai_api_key: Option<String>,

    /// Model name sent to the AI API.
    #[arg(long, env = "AI_MODEL", default_value = "gpt-4o-mini", global = true)]
    pub ai_model: String,

    /// Seconds one AI request may take.
    #[arg(long, env = "AI_TIMEOUT_SECS", default_value_t = 30, global = true)]
    pub ai_timeout_secs: u64,

    /// Background job workers in this process (0: run none; another replica does the work).
    #[arg(long, env = "JOB_WORKERS", default_value_t = 1, global = true)]
    pub job_workers: usize,

    /// Milliseconds an idle worker waits before looking for work again.
    #[arg(
        long,
        env = "JOB_POLL_INTERVAL_MS",
        default_value_t = 1000,
        global = true
    )]
    pub job_poll_interval_ms: u64,

    /// Seconds a worker holds a job; a job whose worker died is retried after this.
    #[arg(long, env = "JOB_LEASE_SECS", default_value_t = 300, global = true)]
    pub job_lease_secs: u64,

    /// First retry delay in seconds; it doubles with each attempt.
    #[arg(long, env = "JOB_RETRY_BASE_SECS", default_value_t = 30, global = true)]
    pub job_retry_base_secs: u64,

    /// Days a finished (done or failed) job is kept for inspection before it is deleted; 0
    /// keeps them forever. At least a day, so that unique keys outlive every retry window.
    #[arg(long, env = "JOB_RETENTION_DAYS", default_value_t = 30, global = true)]
    pub job_retention_days: u32,

    /// Milliseconds between runs of the reminder planner, which queues each reminder's next
    /// occurrence (on replicas that run job workers).
    #[arg(
        long,
        env = "REMINDER_PLAN_INTERVAL_MS",
        default_value_t = 60_000,
        global = true
    )]
    pub reminder_plan_interval_ms: u64,

    /// Minutes a reminder may be late (after downtime) and still be sent; older ones are
    /// skipped, not sent in a flood.
    #[arg(
        long,
        env = "REMINDER_GRACE_MINUTES",
        default_value_t = 15,
        global = true
    )]
    pub reminder_grace_minutes: u32,

    /// Attempts before a job is given up.
    #[arg(long, env = "JOB_MAX_ATTEMPTS", default_value_t = 5, global = true)]
    pub job_max_attempts: i32,

    /// Extra attempts a streamed AI reply gets when the provider fails before its first piece.
    #[arg(long, env = "AI_RETRIES", default_value_t = 1, global = true)]
    pub ai_retries: u32,

    /// Chat messages one user may send per minute.
    #[arg(
        long,
        env = "CHAT_MESSAGES_PER_MINUTE",
        default_value_t = 20,
        global = true
    )]
    pub chat_messages_per_minute: u64,

    /// Seconds a WebSocket client has to send `connection_init` (graphql-transport-ws).
    #[arg(long, env = "WS_INIT_TIMEOUT_SECS", default_value_t = 3, global = true)]
    pub ws_init_timeout_secs: u64,

    /// Seconds between checks that a WebSocket's session is still signed in.
    #[arg(
        long,
        env = "WS_REAUTH_INTERVAL_SECS",
        default_value_t = 60,
        global = true
    )]
    pub ws_reauth_interval_secs: u64,

    /// Browser origins allowed (comma-separated, e.g. `https://app.example.com`); none by
    /// default. They get CORS headers; WebSocket upgrades from another `Origin` are refused.
    #[arg(
        long,
        env = "CORS_ALLOWED_ORIGINS",
        value_delimiter = ',',
        global = true
    )]
    pub cors_allowed_origins: Vec<String>,

    /// Request headers allowed from those origins besides `Authorization`, `Content-Type` and
    /// `Accept` (comma-separated); by default the ones GraphQL clients send (Apollo's client
    /// name and version, `apollo-require-preflight`, `x-apollo-operation-name`) and W3C trace
    /// context (`traceparent`, `tracestate`).
    #[arg(
        long,
        env = "CORS_ALLOWED_HEADERS",
        value_delimiter = ',',
        default_values_t = crate::http::security::CLIENT_HEADERS.map(String::from),
        global = true
    )]
    pub cors_allowed_headers: Vec<String>,

    /// The server's public address (`https://api.example.com`), the start of download links;
    /// unset: taken from each request's `Host` (and `X-Forwarded-Proto`).
    #[arg(long, env = "PUBLIC_BASE_URL", global = true)]
    pub public_base_url: Option<String>,

    /// Seconds a download link works at least (rounded up to whole 5 minutes).
    #[arg(
        long,
        env = "DOWNLOAD_LINK_TTL_SECS",
        default_value_t = 900,
        global = true
    )]
    pub download_link_ttl_secs: u64,

    /// Where uploaded files are kept (local storage); default `DATA_DIR/files`.
    #[arg(long, env = "STORAGE_ROOT", global = true)]
    pub storage_root: Option<PathBuf>,

    /// Largest medical report upload, in bytes (20 MiB).
    #[arg(long, env = "UPLOAD_MAX_BYTES", default_value_t = 20 * 1024 * 1024, global = true)]
    pub upload_max_bytes: usize,

    /// Largest profile image upload, in bytes (5 MiB).
    #[arg(long, env = "AVATAR_MAX_BYTES", default_value_t = 5 * 1024 * 1024, global = true)]
    pub avatar_max_bytes: usize,

    /// The Tesseract command for text in images; reports that are images fail with a clear
    /// reason when it is not installed.
    #[arg(long, env = "OCR_COMMAND", default_value = "tesseract", global = true)]
    pub ocr_command: String,

    /// Seconds between sweeps for stored files that no row refers to (0 turns sweeping off).
    #[arg(
        long,
        env = "STORAGE_SWEEP_INTERVAL_SECS",
        default_value_t = 3600,
        global = true
    )]
    pub storage_sweep_interval_secs: u64,

    /// How old an unreferenced file must be before the sweeper removes it: uploads in flight
    /// are younger.
    #[arg(
        long,
        env = "STORAGE_ORPHAN_GRACE_SECS",
        default_value_t = 3600,
        global = true
    )]
    pub storage_orphan_grace_secs: u64,

    /// Log line format.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

impl Settings {
    /// Settings for tests and tools: the defaults, pointed at `database_url`, on a free port.
    pub fn for_database(database_url: impl Into<String>) -> Self {
        Self {
            database_url: database_url.into(),
            database_read_url: None,
            read_after_write_secs: 10,
            database_direct_url: None,
            // Debug builds resolve a page of 50 nested objects in more than the production
            // default; the statement-count tests need every key in one batch.
            host: "127.0.0.1".into(),
            port: 0,
            db_pool_size: 5,
            body_idle_timeout_secs: 10,
            body_min_bytes_per_sec: 1024,
            db_acquire_timeout_secs: 2,
            db_connect_timeout_secs: 5,
            graphql_body_limit: 1024 * 1024,
            graphql_depth_limit: 16,
            graphql_complexity_limit: 20_000,
            graphql_max_aliases: 30,
            graphql_max_root_fields: 20,
            graphql_timeout_secs: 30,
            production: false,
            graphql_introspection: None,
            graphql_suggestions: None,
            graphql_document_cache_size: 500,
            apq_cache_size: 1000,
            metrics_token: None,
            persisted_queries_file: None,
            http_workers: Some(1),
            data_dir: std::env::temp_dir().join("echo-health-test"),
            smtp_url: None,
            mail_from: "Echo Health <no-reply@echo-health.local>".into(),
            // A fresh random key per instance: nothing to share, nothing on disk.
            otp_secret: Some(crate::auth::otp::OtpKey::generate().to_hex()),
            password_reset_url: None,
            session_ttl_hours: 12,
            session_idle_minutes: 30,
            remembered_session_ttl_days: 30,
            remembered_session_idle_days: 7,
            trusted_proxies: Vec::new(),
            ai_base_url: None,
            ai_api_key: None,
            ai_model: "test-model".into(),
            ai_timeout_secs: 2,
            job_workers: 1,
            job_poll_interval_ms: 50,
            job_lease_secs: 300,
            job_retry_base_secs: 0,
            job_max_attempts: 3,
            reminder_plan_interval_ms: 100,
            job_retention_days: 30,
            reminder_grace_minutes: 15,
            skip_migrations: false,
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
            ai_retries: 1,
            chat_messages_per_minute: 20,
            ws_init_timeout_secs: 3,
            ws_reauth_interval_secs: 60,
            cors_allowed_origins: Vec::new(),
            public_base_url: None,
            download_link_ttl_secs: 900,
            cors_allowed_headers: crate::http::security::CLIENT_HEADERS
                .map(String::from)
                .to_vec(),
            storage_orphan_grace_secs: 3600,
            log_format: LogFormat::Text,
        }
    }

    /// Where migrations and LISTEN connect: a session, never a transaction pooler.
    pub fn direct_database_url(&self) -> &str {
        self.database_direct_url
            .as_deref()
            .unwrap_or(&self.database_url)
    }

    /// Where mail goes without `SMTP_URL`.
    pub fn outbox_dir(&self) -> PathBuf {
        self.data_dir.join("outbox")
    }

    /// The generated one-time-code key, when `OTP_SECRET` is not set.
    pub fn otp_key_file(&self) -> PathBuf {
        self.data_dir.join("otp-secret")
    }

    pub fn storage_root(&self) -> PathBuf {
        self.storage_root
            .clone()
            .unwrap_or_else(|| self.data_dir.join("files"))
    }
}
