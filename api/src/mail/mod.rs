//! Outgoing mail behind the [`Mailer`] trait: SMTP (lettre) when `SMTP_URL` is set, otherwise
//! an outbox folder of `.eml` files so local sign-up works without a mail server.
//!
//! Mail is queued as a durable job ([`job::queue`]), sealed at rest, in the transaction that
//! makes what it announces, and delivered by the job runner: a request takes as long whether
//! or not it mails anyone, so timing does not tell whether an address has an account, and a
//! message queued when the process stops is delivered after the restart. The log never
//! carries a message's content or its full recipient.

pub mod job;
mod outbox;
mod smtp;

use std::{future::Future, pin::Pin, sync::Arc};

use lettre::{
    Message,
    message::{
        Mailbox,
        header::{ContentType, HeaderName, HeaderValue},
    },
};
use serde::{Deserialize, Serialize};

pub use outbox::OutboxMailer;
pub use smtp::SmtpMailer;

use crate::error::BoxError;

/// A short plain-text message.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutgoingMail {
    pub to: String,
    pub subject: String,
    pub body: String,
    /// A one-click unsubscribe URL (RFC 8058), sent as `List-Unsubscribe` with
    /// `List-Unsubscribe-Post`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsubscribe: Option<String>,
}

/// Why a message was not delivered.
#[derive(Debug)]
pub struct SendError {
    /// The server refused it for good (a 5xx reply): another attempt cannot help.
    pub permanent: bool,
    pub reason: String,
}

pub type MailFuture<'a> = Pin<Box<dyn Future<Output = Result<(), SendError>> + Send + 'a>>;

pub trait Mailer: Send + Sync + 'static {
    /// Delivers `message`; `Ok` means the server accepted it.
    fn send(&self, message: Message) -> MailFuture<'_>;
}

pub type SharedMailer = Arc<dyn Mailer>;

/// Builds the RFC 5322 message; `message_id` (`<id@domain>`) is the same for every attempt of
/// one job, so a copy delivered twice is recognisably the same message.
pub fn build_message(
    from: &Mailbox,
    mail: &OutgoingMail,
    message_id: Option<String>,
) -> Result<Message, BoxError> {
    let mut builder = Message::builder()
        .from(from.clone())
        .to(mail.to.parse()?)
        .subject(mail.subject.clone())
        .message_id(message_id)
        .header(ContentType::TEXT_PLAIN);
    if let Some(url) = &mail.unsubscribe {
        builder = builder
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{url}>"),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".to_owned(),
            ));
    }
    Ok(builder.body(mail.body.clone())?)
}
