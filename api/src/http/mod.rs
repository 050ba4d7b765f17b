//! HTTP endpoints and middleware.

pub mod graphql;
pub mod health;
pub mod request_id;
