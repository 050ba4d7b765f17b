//! HTTP endpoints and middleware.

pub mod files;
pub mod graphql;
pub mod health;
pub mod metrics;
mod multipart;
pub mod request_id;
pub mod security;
pub mod ws;
