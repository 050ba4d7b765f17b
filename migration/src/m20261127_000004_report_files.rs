//! Migration 4: what uploaded report files need beyond the ERD (docs/schema.md).
//! - `title`: a name the owner gives the report (the ERD has only the file name).
//! - `content_sha256`: the file's SHA-256, indexed per user so duplicates can be recognised.
//! - `analysis_error`: the user-safe reason a FAILED analysis gives.
//! - `analyzed_at`: when the latest analysis finished.
//! - `file_path` is unique: it is a storage key the server chose, never shared by two rows.
//! - the job queue learns the `analyze_report` kind.

use sea_orm_migration::prelude::*;

sql_migration!(UP, DOWN);

const UP: &str = r#"
ALTER TABLE medical_reports
    ADD COLUMN title          varchar(200),
    ADD COLUMN content_sha256 varchar(64),
    ADD COLUMN analysis_error varchar(300),
    ADD COLUMN analyzed_at    timestamptz,
    ADD CONSTRAINT "ck-medical_reports-content_sha256" CHECK (content_sha256 ~ '^[0-9a-f]{64}$'),
    ADD CONSTRAINT "uk-medical_reports-file_path" UNIQUE (file_path);
CREATE INDEX "idx-medical_reports-user_id-content_sha256" ON medical_reports (user_id, content_sha256);

ALTER TABLE jobs DROP CONSTRAINT "ck-jobs-kind";
ALTER TABLE jobs ADD CONSTRAINT "ck-jobs-kind" CHECK (kind IN ('enrich_assessment', 'analyze_report'));
"#;

const DOWN: &str = r#"
DELETE FROM jobs WHERE kind = 'analyze_report';
ALTER TABLE jobs DROP CONSTRAINT "ck-jobs-kind";
ALTER TABLE jobs ADD CONSTRAINT "ck-jobs-kind" CHECK (kind IN ('enrich_assessment'));

DROP INDEX "idx-medical_reports-user_id-content_sha256";
ALTER TABLE medical_reports
    DROP CONSTRAINT "uk-medical_reports-file_path",
    DROP COLUMN analyzed_at,
    DROP COLUMN analysis_error,
    DROP COLUMN content_sha256,
    DROP COLUMN title;
"#;
