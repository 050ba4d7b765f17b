//! Medical report uploads and their background analysis.

pub mod analysis;
pub mod graphql;
pub mod loaders;
pub mod service;
pub mod sweep;
pub mod types;
