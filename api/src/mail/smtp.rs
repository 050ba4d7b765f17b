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
