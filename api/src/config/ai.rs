//! The AI provider (OpenAI-compatible) and the chat it answers.

use clap::Args;

/// The AI provider (OpenAI-compatible) and the chat it answers.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "AI")]
pub struct AiSettings {
    /// OpenAI-compatible API root for AI features (e.g. https://api.openai.com/v1 or a local
    /// llama.cpp / vLLM server's /v1). Unset: no external AI call is ever made.
    #[arg(long, env = "AI_BASE_URL", global = true)]
    pub ai_base_url: Option<String>,

    /// Bearer key for the AI API, if it needs one.
    #[arg(long, env = "AI_API_KEY", global = true, hide_env_values = true)]
    pub ai_api_key: Option<String>,

    /// Model name sent to the AI API.
    #[arg(long, env = "AI_MODEL", default_value = "gpt-4o-mini", global = true)]
    pub ai_model: String,

    /// Seconds one AI request may take.
    #[arg(long, env = "AI_TIMEOUT_SECS", default_value_t = 30, global = true)]
    pub ai_timeout_secs: u64,

    /// Extra attempts a streamed AI reply gets when the provider fails before its first piece.
    #[arg(long, env = "AI_RETRIES", default_value_t = 1, global = true)]
    pub ai_retries: u32,

    /// Chat messages one user may send per minute.
    #[arg(
        long,
        env = "CHAT_MESSAGES_PER_MINUTE",
        default_value_t = 20,
        global = true
    )]
    pub chat_messages_per_minute: u64,
}
