//! Database migrations: the ERD first, then one migration per later change.
//!
//! Migrations are plain PostgreSQL (see `docs/schema.md` for why): the ERD needs identity
//! keys, `inet`, `text[]`, `jsonb`, named CHECK constraints and a trigger, and writing them
//! as SQL keeps every one of them visible and exact.

pub use sea_orm_migration::prelude::*;

/// A migration written as PostgreSQL: `up` runs the first script, `down` the second.
macro_rules! sql_migration {
    ($up:expr, $down:expr $(,)?) => {
        #[derive(DeriveMigrationName)]
        pub struct Migration;

        #[async_trait::async_trait]
        impl MigrationTrait for Migration {
            async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
                manager.get_connection().execute_unprepared($up).await?;
                Ok(())
            }

            async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
                manager.get_connection().execute_unprepared($down).await?;
                Ok(())
            }
        }
    };
}

mod m20261127_000001_create_erd;
mod m20261127_000002_add_account_security;
mod m20261127_000003_create_jobs;
mod m20261127_000004_report_files;
mod m20261127_000005_chat_replies;
mod m20261127_000006_care_team_and_export;
mod m20261127_000007_session_last_write;
mod m20261203_000008_prevent_instrument;
mod m20261203_000009_mail_jobs;
mod m20261203_000010_reminder_jobs;
mod m20261203_000011_auth_change_notices;
mod m20261203_000012_fhir_imports;

/// The text of this crate's sources (this file and every migration), compiled in. Tests name
/// their template database after a hash of it, so the template is rebuilt exactly when what
/// the binary would migrate changes, whatever checkout or build cache it was built in.
pub const SOURCES: &[&str] = &[
    include_str!("lib.rs"),
    include_str!("m20261127_000001_create_erd.rs"),
    include_str!("m20261127_000002_add_account_security.rs"),
    include_str!("m20261127_000003_create_jobs.rs"),
    include_str!("m20261127_000004_report_files.rs"),
    include_str!("m20261127_000005_chat_replies.rs"),
    include_str!("m20261127_000006_care_team_and_export.rs"),
    include_str!("m20261127_000007_session_last_write.rs"),
    include_str!("m20261203_000008_prevent_instrument.rs"),
    include_str!("m20261203_000009_mail_jobs.rs"),
    include_str!("m20261203_000010_reminder_jobs.rs"),
    include_str!("m20261203_000011_auth_change_notices.rs"),
    include_str!("m20261203_000012_fhir_imports.rs"),
];

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_create_erd::Migration),
            Box::new(m20261127_000002_add_account_security::Migration),
            Box::new(m20261127_000003_create_jobs::Migration),
            Box::new(m20261127_000004_report_files::Migration),
            Box::new(m20261127_000005_chat_replies::Migration),
            Box::new(m20261127_000006_care_team_and_export::Migration),
            Box::new(m20261127_000007_session_last_write::Migration),
            Box::new(m20261203_000008_prevent_instrument::Migration),
            Box::new(m20261203_000009_mail_jobs::Migration),
            Box::new(m20261203_000010_reminder_jobs::Migration),
            Box::new(m20261203_000011_auth_change_notices::Migration),
            Box::new(m20261203_000012_fhir_imports::Migration),
        ]
    }
}
