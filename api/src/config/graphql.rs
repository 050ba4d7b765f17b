//! GraphQL over HTTP and WebSocket: request limits, the document caches, the allow-list.

use std::path::PathBuf;

use clap::Args;

/// GraphQL over HTTP and WebSocket: request limits, the document caches, the allow-list.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "GraphQL")]
pub struct GraphqlSettings {
    /// Largest accepted body of a GraphQL request, in bytes (uploads have their own limit).
    #[arg(long, env = "GRAPHQL_BODY_LIMIT", default_value_t = 1024 * 1024, global = true)]
    pub graphql_body_limit: usize,

    /// Longest wait, in seconds, for the next bytes of a request body; also the base of its
    /// total deadline (docs/api.md "Body timeouts"). A stalled body is answered 408.
    #[arg(
        long,
        env = "BODY_IDLE_TIMEOUT_SECS",
        default_value_t = 10,
        global = true
    )]
    pub body_idle_timeout_secs: u64,

    /// Slowest accepted average rate of a request body, in bytes per second: a body may take
    /// `BODY_IDLE_TIMEOUT_SECS` plus its length at this rate (the largest upload's, when the
    /// length is not declared).
    #[arg(
        long,
        env = "BODY_MIN_BYTES_PER_SEC",
        default_value_t = 1024,
        global = true
    )]
    pub body_min_bytes_per_sec: u64,

    /// Deepest GraphQL selection accepted.
    #[arg(long, env = "GRAPHQL_DEPTH_LIMIT", default_value_t = 16, global = true)]
    pub graphql_depth_limit: usize,

    /// Largest query complexity accepted; a connection costs its page size (`first`/`last`,
    /// 20 by default) times what it selects per item.
    #[arg(
        long,
        env = "GRAPHQL_COMPLEXITY_LIMIT",
        default_value_t = 20_000,
        global = true
    )]
    pub graphql_complexity_limit: usize,

    /// Most aliases in one GraphQL document.
    #[arg(long, env = "GRAPHQL_MAX_ALIASES", default_value_t = 30, global = true)]
    pub graphql_max_aliases: usize,

    /// Most root fields in one operation.
    #[arg(
        long,
        env = "GRAPHQL_MAX_ROOT_FIELDS",
        default_value_t = 20,
        global = true
    )]
    pub graphql_max_root_fields: usize,

    /// Seconds a GraphQL request over HTTP may run before it is stopped.
    #[arg(
        long,
        env = "GRAPHQL_TIMEOUT_SECS",
        default_value_t = 30,
        global = true
    )]
    pub graphql_timeout_secs: u64,

    /// Introspection (`__schema`, `__type`); default: on, off with `--production`.
    #[arg(long, env = "GRAPHQL_INTROSPECTION", global = true)]
    pub graphql_introspection: Option<bool>,

    /// "Did you mean ...?" suggestions in errors; default: on, off with `--production`.
    #[arg(long, env = "GRAPHQL_SUGGESTIONS", global = true)]
    pub graphql_suggestions: Option<bool>,

    /// Parsed GraphQL documents remembered per server (texts up to 8 KiB); 0: parse every time.
    #[arg(
        long,
        env = "GRAPHQL_DOCUMENT_CACHE_SIZE",
        default_value_t = 500,
        global = true
    )]
    pub graphql_document_cache_size: usize,

    /// Automatic persisted queries (Apollo APQ) remembered per server; 0 turns APQ off.
    #[arg(long, env = "APQ_CACHE_SIZE", default_value_t = 1000, global = true)]
    pub apq_cache_size: usize,

    /// Production allow-list: a JSON object of SHA-256 -> operation text; when set, only
    /// those operations run (over HTTP and WebSocket).
    #[arg(long, env = "PERSISTED_QUERIES_FILE", global = true)]
    pub persisted_queries_file: Option<PathBuf>,

    /// Seconds a WebSocket client has to send `connection_init` (graphql-transport-ws).
    #[arg(long, env = "WS_INIT_TIMEOUT_SECS", default_value_t = 3, global = true)]
    pub ws_init_timeout_secs: u64,

    /// Seconds between checks that a WebSocket's session is still signed in.
    #[arg(
        long,
        env = "WS_REAUTH_INTERVAL_SECS",
        default_value_t = 60,
        global = true
    )]
    pub ws_reauth_interval_secs: u64,
}
