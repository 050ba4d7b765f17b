//! A graphql-transport-ws client over a real WebSocket (tokio-tungstenite), as an unmodified
//! graphql-ws client speaks it.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream,
    tungstenite::{Message, client::IntoClientRequest, http::HeaderValue},
};

pub const PROTOCOL: &str = "graphql-transport-ws";

pub struct WsClient {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// How a connection attempt or a socket ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    Closed(u16, String),
    Refused(u16),
}

impl WsClient {
    /// Opens `/graphql/ws` on `base` (`http://host:port`) offering `protocol`, with `origin`.
    pub async fn connect(
        base: &str,
        protocol: Option<&str>,
        origin: Option<&str>,
    ) -> Result<Self, Ended> {
        let url = format!("{}/graphql/ws", base.replacen("http", "ws", 1));
        let mut request = url.into_client_request().unwrap();
        if let Some(protocol) = protocol {
            request.headers_mut().insert(
                "sec-websocket-protocol",
                HeaderValue::from_str(protocol).unwrap(),
            );
        }
        if let Some(origin) = origin {
            request
                .headers_mut()
                .insert("origin", HeaderValue::from_str(origin).unwrap());
        }
        match tokio_tungstenite::connect_async(request).await {
            Ok((socket, _)) => Ok(Self { socket }),
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                Err(Ended::Refused(response.status().as_u16()))
            }
            Err(err) => panic!("WebSocket connect failed: {err}"),
        }
    }

    /// Connects with the protocol and completes `connection_init` with `token`.
    pub async fn signed_in(base: &str, token: &str) -> Self {
        let mut client = Self::connect(base, Some(PROTOCOL), None).await.unwrap();
        client
            .send(json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } }))
            .await;
        assert_eq!(client.next().await, json!({ "type": "connection_ack" }));
        client
    }

    pub async fn send(&mut self, message: Value) {
        self.send_text(&message.to_string()).await;
    }

    pub async fn send_text(&mut self, text: &str) {
        self.socket
            .send(Message::Text(text.into()))
            .await
            .expect("send over WebSocket");
    }

    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": variables } }))
            .await;
    }

    /// The next protocol message (up to 20 s), or how the socket ended.
    pub async fn receive(&mut self) -> Result<Value, Ended> {
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(20), self.socket.next())
                .await
                .expect("a WebSocket message within 20 s");
            match frame {
                Some(Ok(Message::Text(text))) => {
                    return Ok(serde_json::from_str(&text).expect("JSON message"));
                }
                Some(Ok(Message::Close(frame))) => {
                    return Err(match frame {
                        Some(frame) => Ended::Closed(frame.code.into(), frame.reason.to_string()),
                        None => Ended::Closed(1005, String::new()),
                    });
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Err(Ended::Closed(1006, String::new())),
            }
        }
    }

    /// The next protocol message; panics if the socket ends instead.
    pub async fn next(&mut self) -> Value {
        match self.receive().await {
            Ok(message) => message,
            Err(ended) => panic!("the socket ended: {ended:?}"),
        }
    }

    /// The close code and reason the server ends the socket with.
    pub async fn closed(&mut self) -> (u16, String) {
        loop {
            match self.receive().await {
                Ok(_) => continue,
                Err(Ended::Closed(code, reason)) => return (code, reason),
                Err(other) => panic!("{other:?}"),
            }
        }
    }
}
