//! Migration 9: mail goes through the durable job queue (`send_mail`), so a code or a notice
//! queued when the process stops is delivered after the restart (docs/auth.md, "Mail").

use sea_orm_migration::prelude::*;

sql_migration!(UP, DOWN);

const UP: &str = r#"
ALTER TABLE jobs DROP CONSTRAINT "ck-jobs-kind";
ALTER TABLE jobs ADD CONSTRAINT "ck-jobs-kind"
    CHECK (kind IN ('enrich_assessment', 'analyze_report', 'export_data', 'send_mail'));
"#;

// Going back drops mail not yet sent: the older version mails from memory, not from the queue.
const DOWN: &str = r#"
DELETE FROM jobs WHERE kind = 'send_mail';
ALTER TABLE jobs DROP CONSTRAINT "ck-jobs-kind";
ALTER TABLE jobs ADD CONSTRAINT "ck-jobs-kind"
    CHECK (kind IN ('enrich_assessment', 'analyze_report', 'export_data'));
"#;
