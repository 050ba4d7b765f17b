//! Health assessments computed from validated clinical instruments.

pub mod engine;
pub mod loaders;
pub mod types;
