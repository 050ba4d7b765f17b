//! The OpenAI-compatible chat-completions client: `POST {AI_BASE_URL}/chat/completions` with
//! `response_format: {"type": "json_object"}`.

use std::time::Duration;

use serde_json::{Value, json};

use super::{AiError, AiFuture, AiProvider};

pub struct OpenAiCompatible {
    client: reqwest::Client,
    endpoint: String,
    api_key: Option<String>,
    model: String,
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
        })
    }
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
}
