//! End-to-end tests: the real server over HTTP against real PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod admin;
mod ai_enrichment;
mod assessments;
mod batching;
mod care_team;
mod chat;
mod clients;
mod connections;
mod database_schema;
mod export;
mod fhir;
mod first_run;
mod graphql_http;
mod mail;
mod pgbouncer;
mod probes;
mod reminders;
mod replica;
mod reports;
mod schema_file;
mod seed;
mod session_cache;
mod settings;
mod viewer;
