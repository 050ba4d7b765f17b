//! Local delivery: each message becomes `<outbox>/<time>-<uuid>.eml`, readable with any mail
//! client or a text editor. The default when no `SMTP_URL` is configured.

use std::path::PathBuf;

use lettre::Message;

use super::{MailFuture, Mailer};

pub struct OutboxMailer {
    dir: PathBuf,
}

impl OutboxMailer {
    pub fn new(dir: PathBuf) -> std::io::Result<Self> {
        std::fs::create_dir_all(&dir)?;
        Ok(Self { dir })
    }
}

impl Mailer for OutboxMailer {
    fn send(&self, message: Message) -> MailFuture<'_> {
        Box::pin(async move {
            let name = format!(
                "{}-{}.eml",
                chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ"),
                uuid::Uuid::new_v4()
            );
            tokio::fs::write(self.dir.join(name), message.formatted()).await?;
            Ok(())
        })
    }
}
