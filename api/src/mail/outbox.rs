//! Local delivery: each message becomes `<outbox>/<time>-<uuid>.eml`, readable with any mail
//! client or a text editor. The default when no `SMTP_URL` is configured.

use std::path::PathBuf;

use lettre::Message;

use super::{MailFuture, Mailer, SendError};

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
            // Written under a hidden name and renamed, so a reader never sees half a message.
            let partial = self.dir.join(format!(".{name}.partial"));
            let written = async {
                tokio::fs::write(&partial, message.formatted()).await?;
                tokio::fs::rename(&partial, self.dir.join(&name)).await
            };
            // A full or unwritable disk may recover: worth another attempt.
            written.await.map_err(|err| SendError {
                permanent: false,
                reason: err.to_string(),
            })
        })
    }
}
