//! HTTP endpoints and middleware.

pub mod body_timeout;
pub mod files;
pub mod graphiql;
pub mod graphql;
pub mod health;
pub mod links;
pub mod metrics;
mod multipart;
pub mod request_id;
pub mod security;
pub mod ws;
