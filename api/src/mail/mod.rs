//! Outgoing mail behind the [`Mailer`] trait: SMTP (lettre) when `SMTP_URL` is set, otherwise
//! an outbox folder of `.eml` files so local sign-up works without a mail server.
//!
//! Mail is sent in the background ([`send_in_background`]): a request takes as long whether or
//! not it mails anyone, so timing does not tell whether an address has an account. The log
//! never carries a message's content or its full recipient.

mod outbox;
mod smtp;

use std::{future::Future, pin::Pin, sync::Arc};

use lettre::{
    Message,
    message::{Mailbox, header::ContentType},
};

pub use outbox::OutboxMailer;
pub use smtp::SmtpMailer;

use crate::error::BoxError;

/// A short plain-text message.
#[derive(Debug, Clone)]
pub struct OutgoingMail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

pub type MailFuture<'a> = Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send + 'a>>;

pub trait Mailer: Send + Sync + 'static {
    fn send(&self, message: Message) -> MailFuture<'_>;
}

pub type SharedMailer = Arc<dyn Mailer>;

/// Builds the RFC 5322 message.
pub fn build_message(from: &Mailbox, mail: &OutgoingMail) -> Result<Message, BoxError> {
    Ok(Message::builder()
        .from(from.clone())
        .to(mail.to.parse()?)
        .subject(mail.subject.clone())
        .header(ContentType::TEXT_PLAIN)
        .body(mail.body.clone())?)
}

/// Sends `mail` without making the caller wait; failures are logged without content.
pub fn send_in_background(mailer: SharedMailer, from: Mailbox, mail: OutgoingMail) {
    tokio::spawn(async move {
        let domain = mail.to.rsplit('@').next().unwrap_or_default().to_owned();
        let result = match build_message(&from, &mail) {
            Ok(message) => mailer.send(message).await,
            Err(err) => Err(err),
        };
        match result {
            Ok(()) => {
                tracing::info!(recipient_domain = %domain, subject = %mail.subject, "mail sent")
            }
            Err(err) => tracing::error!(recipient_domain = %domain, error = %err, "mail not sent"),
        }
    });
}
