//! Health assessments computed from validated clinical instruments.

pub mod loaders;
pub mod types;
