//! SMTP delivery through lettre. `SMTP_URL` follows lettre's URL form:
//! `smtp://host:port` (plain, or STARTTLS with `?tls=required`), `smtps://user:pass@host:465`.

use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::{MailFuture, Mailer, SendError};
use crate::error::BoxError;

pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl SmtpMailer {
    pub fn from_url(url: &str) -> Result<Self, BoxError> {
        Ok(Self {
            transport: AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?.build(),
        })
    }
}

impl SmtpMailer {
    /// Opens a connection to the server at `url` and says EHLO and NOOP (`api doctor`).
    pub async fn check(url: &str, timeout: std::time::Duration) -> Result<(), BoxError> {
        let transport: AsyncSmtpTransport<Tokio1Executor> =
            AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?
                .timeout(Some(timeout))
                .build();
        if transport.test_connection().await? {
            Ok(())
        } else {
            Err("the server did not accept NOOP".into())
        }
    }
}

impl Mailer for SmtpMailer {
    fn send(&self, message: Message) -> MailFuture<'_> {
        Box::pin(async move {
            match self.transport.send(message).await {
                Ok(_) => Ok(()),
                Err(err) => Err(SendError {
                    permanent: err.is_permanent(),
                    reason: crate::error::error_chain(&err),
                }),
            }
        })
    }
}
