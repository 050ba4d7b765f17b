//! Health assessments computed from validated clinical instruments.

pub mod engine;
pub mod enrich;
pub mod graphql;
pub mod input;
pub mod loaders;
pub mod result;
pub mod service;
pub mod types;
