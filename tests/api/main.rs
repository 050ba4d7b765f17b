//! End-to-end tests: the real server over HTTP against real PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod ai_enrichment;
mod assessments;
mod batching;
mod chat;
mod database_schema;
mod graphql_http;
mod probes;
mod reports;
mod schema_file;
mod settings;
mod viewer;
