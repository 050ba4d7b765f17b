//! Outgoing mail.

use clap::Args;

/// Outgoing mail.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Mail")]
pub struct MailSettings {
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
}
