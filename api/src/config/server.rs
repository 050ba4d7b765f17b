//! The HTTP server: where it listens, who may call it from a browser, how it logs.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// The HTTP server: where it listens, who may call it from a browser, how it logs.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Server")]
pub struct ServerSettings {
    /// Address to listen on.
    #[arg(long, env = "HOST", default_value = "127.0.0.1", global = true)]
    pub host: String,

    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "PORT", default_value_t = 8080, global = true)]
    pub port: u16,

    /// HTTP worker threads (default: one per CPU core).
    #[arg(long, env = "HTTP_WORKERS", global = true)]
    pub http_workers: Option<usize>,

    /// Production profile: field suggestions and introspection off unless set on explicitly
    /// (clients generate code from `schema.graphql`).
    #[arg(long, env = "PRODUCTION", global = true)]
    pub production: bool,

    /// Proxies whose X-Forwarded-For is believed (comma-separated addresses).
    #[arg(long, env = "TRUSTED_PROXIES", value_delimiter = ',', global = true)]
    pub trusted_proxies: Vec<IpAddr>,

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

    /// Bearer token `/metrics` requires; unset: open (keep it on a private network).
    #[arg(long, env = "METRICS_TOKEN", global = true, hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// Log line format.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,

    /// Folder for local state: the outbox and, unless OTP_SECRET is set, the generated secret.
    #[arg(long, env = "DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}
