//! A real SMTP server, in process, on a random port: the API under test delivers to it over a
//! genuine SMTP conversation, and tests read what arrived.

use std::{
    net::TcpListener,
    sync::{Arc, Mutex},
    time::Duration,
};

use mailin_embedded::{Handler, Response, Server, response};

/// One message as received: the envelope recipients and the raw RFC 5322 text.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub to: Vec<String>,
    pub raw: String,
}

impl ReceivedMail {
    /// The body with quoted-printable soft breaks undone, good enough to find codes in.
    pub fn text(&self) -> String {
        self.raw.replace("=\r\n", "").replace("=\n", "")
    }

    /// The first run of exactly six digits after `Your code:`.
    pub fn code(&self) -> Option<String> {
        let text = self.text();
        let after = text.split("Your code: ").nth(1)?;
        let code: String = after.chars().take_while(char::is_ascii_digit).collect();
        (code.len() == 6).then_some(code)
    }

    /// The reset token after `Reset token: `.
    pub fn reset_token(&self) -> Option<String> {
        let text = self.text();
        let after = text.split("Reset token: ").nth(1)?;
        Some(after.split_whitespace().next()?.to_owned())
    }

    pub fn subject(&self) -> String {
        self.raw
            .lines()
            .find_map(|l| l.strip_prefix("Subject: "))
            .unwrap_or_default()
            .to_owned()
    }
}

#[derive(Clone, Default)]
struct Collector {
    inbox: Arc<Mutex<Vec<ReceivedMail>>>,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for Collector {
    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.to = to.to_vec();
        self.data.clear();
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let mail = ReceivedMail {
            to: std::mem::take(&mut self.to),
            raw: String::from_utf8_lossy(&self.data).into_owned(),
        };
        self.inbox.lock().unwrap().push(mail);
        response::OK
    }
}

#[derive(Clone)]
pub struct MailServer {
    pub url: String,
    inbox: Arc<Mutex<Vec<ReceivedMail>>>,
}

impl MailServer {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let inbox = Arc::new(Mutex::new(Vec::new()));
        let mut server = Server::new(Collector {
            inbox: inbox.clone(),
            ..Default::default()
        });
        server
            .with_name("mail.test")
            .with_num_threads(2)
            .with_tcp_listener(listener);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        Self {
            url: format!("smtp://127.0.0.1:{port}"),
            inbox,
        }
    }

    /// Every message received so far for `address`.
    pub fn messages_to(&self, address: &str) -> Vec<ReceivedMail> {
        let inbox = self.inbox.lock().unwrap();
        inbox
            .iter()
            .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(address)))
            .cloned()
            .collect()
    }

    /// Waits (up to 10 s) until `address` has received `count` messages; returns the last.
    pub async fn wait_for(&self, address: &str, count: usize) -> ReceivedMail {
        self.wait_for_within(address, count, Duration::from_secs(10))
            .await
    }

    /// [`wait_for`](Self::wait_for), up to `limit`.
    pub async fn wait_for_within(
        &self,
        address: &str,
        count: usize,
        limit: Duration,
    ) -> ReceivedMail {
        let tries = limit.as_millis() / 50;
        for _ in 0..tries {
            let messages = self.messages_to(address);
            if messages.len() >= count {
                return messages[count - 1].clone();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "no mail #{count} for {address} within {limit:?}; inbox: {:?}",
            self.messages_to(address)
        );
    }
}
