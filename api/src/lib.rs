//! Echo Health API: the GraphQL server behind the Echo Health personal-health app.
//!
//! One folder per domain: `auth` (accounts, sign-in, sessions, audit), `users` (profiles),
//! `assessments`, `reports`, `chat`, `settings`, `reminders`, `care_team`, `admin`, `export`,
//! `fhir` (the record as HL7 FHIR R4) and `mail`. `startup` builds the application, `state`
//! is what handlers reach, `http` the endpoints, `schema` the GraphQL schema, `jobs` the
//! background queue; the shared plumbing (config, db, error, context, batching, pagination,
//! storage) sits beside them. docs/architecture.md is the map.

pub mod admin;
pub mod ai;
pub mod assessments;
pub mod auth;
pub mod batching;
pub mod care_team;
pub mod chat;
pub mod cli;
pub mod clock;
pub mod config;
pub mod context;
pub mod db;
pub mod doctor;
pub mod documents;
pub mod enums;
pub mod error;
pub mod export;
pub mod fhir;
pub mod http;
pub mod jobs;
pub mod mail;
pub mod metrics;
pub mod notifications;
pub mod operation_limits;
pub mod pagination;
pub mod persisted;
pub mod plain;
pub mod preflight;
pub mod rate_limit;
pub mod read_pool;
pub mod reminders;
pub mod reports;
pub mod rows;
pub mod scalars;
pub mod schema;
pub mod seed;
pub mod services;
pub mod settings;
pub mod startup;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod text;
pub mod uploads;
pub mod users;
