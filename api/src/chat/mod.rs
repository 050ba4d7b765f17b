//! Chat sessions with the health assistant.

pub mod loaders;
pub mod types;
