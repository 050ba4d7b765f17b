//! AI providers behind one trait, shared by assessment enrichment (and later report analysis
//! and chat). The real implementation speaks the OpenAI chat-completions wire format, which
//! hosted APIs and local servers (llama.cpp, vLLM, Ollama) all understand. Without
//! `AI_BASE_URL` there is no provider and no external call is ever made.

mod openai;

use std::{future::Future, pin::Pin, sync::Arc};

pub use openai::OpenAiCompatible;

#[derive(Debug, thiserror::Error)]
pub enum AiError {
    #[error("the AI provider did not answer in time")]
    Timeout,
    #[error("the AI provider answered HTTP {0}")]
    Status(u16),
    #[error("the AI provider could not be reached: {0}")]
    Unreachable(String),
    #[error("the AI provider's answer is malformed: {0}")]
    Malformed(String),
}

pub type AiFuture<'a> =
    Pin<Box<dyn Future<Output = Result<serde_json::Value, AiError>> + Send + 'a>>;

/// One turn of a conversation sent to a model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Turn {
    /// `system`, `user` or `assistant`.
    pub role: &'static str,
    pub content: String,
}

/// What a streamed completion yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chunk {
    /// The next piece of the answer.
    Delta(String),
    /// Token counts, when the provider reports them (at the end).
    Usage { prompt: i64, completion: i64 },
}

pub type ChunkStream = Pin<Box<dyn futures_util::Stream<Item = Result<Chunk, AiError>> + Send>>;

pub trait AiProvider: Send + Sync + 'static {
    /// Provider name for records (never a secret).
    fn name(&self) -> &str;
    fn model(&self) -> &str;
    /// One chat completion constrained to a JSON object; returns that object.
    fn complete_json<'a>(&'a self, system: &'a str, user: &'a str) -> AiFuture<'a>;
    /// A chat completion streamed piece by piece. Attempts that fail before the first piece
    /// are retried within the provider's retry budget; a failure after it ends the stream
    /// with the error.
    fn stream_chat(&self, turns: Vec<Turn>) -> ChunkStream;
}

pub type SharedAi = Arc<dyn AiProvider>;

/// A model's text as the reader will see it: trimmed, 1 to `max_chars` characters, no markup,
/// links or control characters (the API serves plain text). The error says what is wrong.
pub fn plain_text(text: &str, max_chars: usize) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > max_chars {
        return Err(format!("is empty or over {max_chars} characters"));
    }
    let markup = text
        .chars()
        .any(|c| matches!(c, '<' | '>' | '`' | '*' | '#' | '[' | ']' | '{' | '}' | '|'))
        || text.contains("http://")
        || text.contains("https://")
        || text.contains("www.");
    if markup || text.chars().any(|c| c.is_control() && c != '\n') {
        return Err("contains markup, links or control characters".into());
    }
    Ok(text.to_owned())
}
