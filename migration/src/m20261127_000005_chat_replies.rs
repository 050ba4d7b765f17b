//! Migration 5: what chat needs beyond the ERD (docs/schema.md).
//! - `client_message_id`: the client's id for a message it sends, unique per session, so a
//!   retried send finds the message it already stored instead of storing it twice.
//! - `reply_to_id`: the user message an assistant reply answers (deleted with it).

use sea_orm_migration::prelude::*;

sql_migration!(UP, DOWN);

const UP: &str = r#"
ALTER TABLE chat_messages
    ADD COLUMN client_message_id varchar(64),
    ADD COLUMN reply_to_id       integer,
    ADD CONSTRAINT "uk-chat_messages-session_id-client_message_id" UNIQUE (session_id, client_message_id),
    ADD CONSTRAINT "fk-chat_messages-reply_to_id" FOREIGN KEY (reply_to_id)
        REFERENCES chat_messages (id) ON DELETE CASCADE;
CREATE INDEX "idx-chat_messages-reply_to_id" ON chat_messages (reply_to_id);
"#;

const DOWN: &str = r#"
DROP INDEX "idx-chat_messages-reply_to_id";
ALTER TABLE chat_messages
    DROP CONSTRAINT "fk-chat_messages-reply_to_id",
    DROP CONSTRAINT "uk-chat_messages-session_id-client_message_id",
    DROP COLUMN reply_to_id,
    DROP COLUMN client_message_id;
"#;
