//! "Your data, yours to take": `exportMyData` queues a job that builds a zip of everything the
//! user has here (documented JSON plus the original files); the owner downloads it once,
//! with their bearer token, before the link expires. Layout: docs/export.md.

pub mod archive;
pub mod graphql;
pub mod job;
pub mod loaders;
pub mod service;
pub mod types;
