//! Medical report uploads and their background analysis.

pub mod analysis;
pub mod loaders;
pub mod types;
