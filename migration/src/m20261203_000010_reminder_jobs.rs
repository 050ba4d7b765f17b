//! Migration 10: reminders are sent through the job queue (`send_reminder`), one job per user,
//! reminder and occurrence (its `dedupe_key`), so any number of replicas send each once.

use sea_orm_migration::prelude::*;

sql_migration!(UP, DOWN);

const UP: &str = r#"
ALTER TABLE jobs DROP CONSTRAINT "ck-jobs-kind";
ALTER TABLE jobs ADD CONSTRAINT "ck-jobs-kind"
    CHECK (kind IN ('enrich_assessment', 'analyze_report', 'export_data', 'send_mail', 'send_reminder'));
"#;

const DOWN: &str = r#"
DELETE FROM jobs WHERE kind = 'send_reminder';
ALTER TABLE jobs DROP CONSTRAINT "ck-jobs-kind";
ALTER TABLE jobs ADD CONSTRAINT "ck-jobs-kind"
    CHECK (kind IN ('enrich_assessment', 'analyze_report', 'export_data', 'send_mail'));
"#;
