//! Structured logging through `tracing`. SQL statement logging stays off (see `db::connect`):
//! statements carry health data in their parameters.

use tracing_subscriber::{EnvFilter, fmt};

use crate::config::{LogFormat, Settings};

const DEFAULT_FILTER: &str = "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn";

/// Installs the global subscriber; `RUST_LOG` overrides the default filter.
/// Calling it twice (tests) is harmless: the second call changes nothing.
pub fn init(settings: &Settings) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let builder = fmt().with_env_filter(filter).with_target(true);
    let _ = match settings.server.log_format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
