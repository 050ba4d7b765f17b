//! Migration 7: `user_sessions.last_write_at`, when the session last ran a mutation. With a
//! read replica (`DATABASE_READ_URL`), a session that wrote recently reads from the primary,
//! so it sees its own writes (docs/scaling.md).

use sea_orm_migration::prelude::*;

sql_migration!(UP, DOWN);

const UP: &str = r#"
ALTER TABLE user_sessions ADD COLUMN last_write_at timestamptz;
"#;

const DOWN: &str = r#"
ALTER TABLE user_sessions DROP COLUMN last_write_at;
"#;
