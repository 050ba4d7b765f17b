//! Per-user app settings.

pub mod loaders;
pub mod types;
