//! Sign-in: one-time codes, password resets and how long sessions last.

use clap::Args;

/// Sign-in: one-time codes, password resets and how long sessions last.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Accounts")]
pub struct AccountSettings {
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

    /// Callers each server keeps in memory, so a request with a recently seen token needs no
    /// statement to know who it is (docs/auth.md, "The session cache"). 0: every request asks
    /// the database.
    #[arg(
        long,
        env = "SESSION_CACHE_SIZE",
        default_value_t = 10_000,
        global = true
    )]
    pub session_cache_size: usize,

    /// The longest a kept caller is used before the database is asked again, in seconds: the
    /// bound on a revocation whose notice never arrived.
    #[arg(
        long,
        env = "SESSION_CACHE_SECONDS",
        default_value_t = 30,
        global = true
    )]
    pub session_cache_seconds: u64,
}
