//! The OpenAI-compatible chat-completions client: `POST {AI_BASE_URL}/chat/completions`,
//! either constrained to a JSON object (`response_format: {"type": "json_object"}`) or streamed
//! as server-sent events (`stream: true`: `data: {chunk}` lines ending with `data: [DONE]`).

use std::time::Duration;

use serde_json::{Value, json};

use futures_util::StreamExt;
use tokio::sync::mpsc;

use super::{AiError, AiFuture, AiProvider, Chunk, ChunkStream, Turn};

#[derive(Clone)]
pub struct OpenAiCompatible {
    client: reqwest::Client,
    endpoint: String,
    api_key: Option<String>,
    model: String,
    /// Extra attempts a streamed completion gets when it fails before its first piece.
    retries: u32,
}

impl OpenAiCompatible {
    pub fn new(
        base_url: &str,
        api_key: Option<String>,
        model: String,
        timeout: Duration,
    ) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder().timeout(timeout).build()?;
        let endpoint = format!("{}/chat/completions", base_url.trim_end_matches('/'));
        Ok(Self {
            client,
            endpoint,
            api_key,
            model,
            retries: 1,
        })
    }

    /// Sets the retry budget of streamed completions.
    pub fn with_retries(mut self, retries: u32) -> Self {
        self.retries = retries;
        self
    }

    async fn open_stream(&self, turns: &[Turn]) -> Result<reqwest::Response, AiError> {
        let messages: Vec<Value> = turns
            .iter()
            .map(|t| json!({ "role": t.role, "content": t.content }))
            .collect();
        let body = json!({
            "model": self.model,
            "messages": messages,
            "stream": true,
            "stream_options": { "include_usage": true },
            "temperature": 0.3,
        });
        let mut request = self.client.post(&self.endpoint).json(&body);
        if let Some(key) = &self.api_key {
            request = request.bearer_auth(key);
        }
        let response = request.send().await.map_err(transport)?;
        if !response.status().is_success() {
            return Err(AiError::Status(response.status().as_u16()));
        }
        Ok(response)
    }
}

fn transport(err: reqwest::Error) -> AiError {
    if err.is_timeout() {
        AiError::Timeout
    } else {
        AiError::Unreachable(err.without_url().to_string())
    }
}

/// Worth another attempt: the provider was unreachable, slow, overloaded or failing.
fn retryable(err: &AiError) -> bool {
    match err {
        AiError::Timeout | AiError::Unreachable(_) => true,
        AiError::Status(status) => *status == 429 || *status >= 500,
        AiError::Malformed(_) => false,
    }
}

/// Reads server-sent events from `response`, sending pieces to `out`. Returns whether any
/// piece was sent, and how the stream ended.
async fn pump(
    response: reqwest::Response,
    out: &mpsc::Sender<Result<Chunk, AiError>>,
) -> (bool, Result<(), AiError>) {
    let mut sent_any = false;
    let mut body = response.bytes_stream();
    let mut buffer = Vec::new();
    while let Some(bytes) = body.next().await {
        let bytes = match bytes {
            Ok(bytes) => bytes,
            Err(err) => return (sent_any, Err(transport(err))),
        };
        buffer.extend_from_slice(&bytes);
        while let Some(end) = buffer.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = buffer.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line);
            let Some(data) = line.trim().strip_prefix("data:") else {
                continue; // comments, `event:` lines, blank separators
            };
            let data = data.trim();
            if data == "[DONE]" {
                return (sent_any, Ok(()));
            }
            let chunk: Value = match serde_json::from_str(data) {
                Ok(chunk) => chunk,
                Err(_) => {
                    return (
                        sent_any,
                        Err(AiError::Malformed("a stream chunk is not JSON".into())),
                    );
                }
            };
            if let Some(usage) = chunk.get("usage").filter(|u| u.is_object()) {
                let usage = Chunk::Usage {
                    prompt: usage["prompt_tokens"].as_i64().unwrap_or(0),
                    completion: usage["completion_tokens"].as_i64().unwrap_or(0),
                };
                if out.send(Ok(usage)).await.is_err() {
                    return (sent_any, Ok(()));
                }
            }
            let delta = &chunk["choices"][0]["delta"]["content"];
            match delta {
                Value::String(text) if !text.is_empty() => {
                    if out.send(Ok(Chunk::Delta(text.clone()))).await.is_err() {
                        return (sent_any, Ok(())); // the reader went away
                    }
                    sent_any = true;
                }
                Value::String(_) | Value::Null => {}
                _ => {
                    return (
                        sent_any,
                        Err(AiError::Malformed("a delta is not text".into())),
                    );
                }
            }
        }
    }
    (
        sent_any,
        Err(AiError::Malformed("the stream ended without [DONE]".into())),
    )
}

impl AiProvider for OpenAiCompatible {
    fn name(&self) -> &str {
        "openai-compatible"
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn complete_json<'a>(&'a self, system: &'a str, user: &'a str) -> AiFuture<'a> {
        Box::pin(async move {
            let body = json!({
                "model": self.model,
                "messages": [
                    { "role": "system", "content": system },
                    { "role": "user", "content": user },
                ],
                "response_format": { "type": "json_object" },
                "temperature": 0.2,
            });
            let mut request = self.client.post(&self.endpoint).json(&body);
            if let Some(key) = &self.api_key {
                request = request.bearer_auth(key);
            }
            let response = request.send().await.map_err(|err| {
                if err.is_timeout() {
                    AiError::Timeout
                } else {
                    AiError::Unreachable(err.without_url().to_string())
                }
            })?;
            if !response.status().is_success() {
                return Err(AiError::Status(response.status().as_u16()));
            }
            let answer: Value = response.json().await.map_err(|err| {
                if err.is_timeout() {
                    AiError::Timeout
                } else {
                    AiError::Malformed("the body is not JSON".into())
                }
            })?;
            let content = answer["choices"][0]["message"]["content"]
                .as_str()
                .ok_or_else(|| AiError::Malformed("no choices[0].message.content".into()))?;
            let object: Value = serde_json::from_str(content)
                .map_err(|_| AiError::Malformed("the content is not JSON".into()))?;
            if !object.is_object() {
                return Err(AiError::Malformed(
                    "the content is not a JSON object".into(),
                ));
            }
            Ok(object)
        })
    }

    fn stream_chat(&self, turns: Vec<Turn>) -> ChunkStream {
        let (sender, receiver) = mpsc::channel(64);
        let provider = self.clone();
        tokio::spawn(async move {
            let mut attempt = 0;
            loop {
                let outcome = match provider.open_stream(&turns).await {
                    Ok(response) => pump(response, &sender).await,
                    Err(err) => (false, Err(err)),
                };
                match outcome {
                    (_, Ok(())) => return,
                    (false, Err(err)) if attempt < provider.retries && retryable(&err) => {
                        attempt += 1;
                        tracing::warn!(error = %err, attempt, "AI stream failed before its first piece; retrying");
                    }
                    (_, Err(err)) => {
                        let _ = sender.send(Err(err)).await;
                        return;
                    }
                }
            }
        });
        Box::pin(futures_util::stream::unfold(
            receiver,
            |mut receiver| async move { receiver.recv().await.map(|item| (item, receiver)) },
        ))
    }
}
