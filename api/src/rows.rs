//! Entity models read from rows by column position, for the statements that run on every
//! screen (the bearer-token lookup, relation pages).
//!
//! SeaORM's `FromQueryResult` finds each column by name: it formats the name, hashes it and
//! checks the column's type, for every column of every row; on the home screen that was a
//! sixth of the server's CPU (docs/benchmarks.md). Here each statement selects the columns
//! in a known order ([`FromRow::COLUMNS`]) and the model is read by position, with sqlx's
//! decoders for the field types of the generated entity (which are the columns' types, as
//! sea-orm-cli read them from the migrated database), without a per-value type lookup.
//!
//! [`from_row!`] writes the column list and the reader from one list of field names; the
//! reader builds the model with a struct literal, so an entity that gains a column does not
//! compile until the list names it too. Every reader is exercised by the end-to-end tests.

use sea_orm::{DbErr, QueryResult, sqlx::postgres::PgRow};

/// A model read from `COLUMNS.len()` consecutive columns of a row.
pub trait FromRow: Sized {
    /// The table's columns, in the order [`FromRow::read`] reads them.
    const COLUMNS: &'static [&'static str];

    /// The model from the columns starting at index `start`.
    fn read(row: &QueryResult, start: usize) -> Result<Self, DbErr>;

    /// `alias.column, ...` for a select list.
    fn select_list(alias: &str) -> String {
        let mut list = String::with_capacity(Self::COLUMNS.len() * 16);
        for (i, column) in Self::COLUMNS.iter().enumerate() {
            if i > 0 {
                list.push_str(", ");
            }
            list.push_str(alias);
            list.push('.');
            list.push_str(column);
        }
        list
    }
}

/// Implements [`FromRow`] for `entity::<table>::Model` with the fields in column order.
macro_rules! from_row {
    ($table:ident { $($field:ident),+ $(,)? }) => {
        impl $crate::rows::FromRow for entity::$table::Model {
            const COLUMNS: &'static [&'static str] = &[$(stringify!($field)),+];

            #[allow(unused_assignments)]
            fn read(row: &sea_orm::QueryResult, start: usize) -> Result<Self, sea_orm::DbErr> {
                use sea_orm::sqlx::Row;
                let row = $crate::rows::pg_row(row)?;
                let mut index = start;
                Ok(Self {
                    $($field: {
                        let value = row
                            .try_get_unchecked(index)
                            .map_err(|err| $crate::rows::decode_error(stringify!($table), err))?;
                        index += 1;
                        value
                    }),+
                })
            }
        }
    };
}

from_row!(users {
    id,
    email,
    password_hash,
    first_name,
    last_name,
    date_of_birth,
    gender,
    phone_number,
    profile_image_url,
    is_verified,
    is_active,
    created_at,
    updated_at,
    role,
});
from_row!(user_sessions {
    id,
    user_id,
    session_token,
    device_info,
    ip_address,
    expires_at,
    is_active,
    created_at,
    last_activity,
    idle_timeout_seconds,
    last_write_at,
});
from_row!(health_assessments {
    id,
    user_id,
    assessment_type,
    risk_score,
    risk_level,
    probability,
    assessment_data,
    recommendations,
    warning_signs,
    next_steps,
    is_api_result,
    created_at,
});
from_row!(medical_reports {
    id,
    user_id,
    report_type,
    file_name,
    file_path,
    file_size,
    mime_type,
    upload_date,
    analysis_status,
    analysis_result,
    ai_insights,
    doctor_notes,
    is_archived,
    title,
    content_sha256,
    analysis_error,
    analyzed_at,
    doctor_notes_author_id,
    doctor_notes_updated_at,
});
from_row!(chat_sessions {
    id,
    user_id,
    session_type,
    is_active,
    started_at,
    ended_at,
    total_messages,
});
from_row!(chat_messages {
    id,
    session_id,
    sender_type,
    message_content,
    message_type,
    metadata,
    created_at,
    client_message_id,
    reply_to_id,
});
from_row!(app_settings {
    id,
    user_id,
    setting_key,
    setting_value,
    setting_type,
    created_at,
    updated_at,
});
from_row!(care_team_grants {
    id,
    patient_id,
    clinician_id,
    scopes,
    expires_at,
    revoked_at,
    created_at,
});
from_row!(data_exports {
    id,
    user_id,
    status,
    file_path,
    file_size,
    error,
    created_at,
    completed_at,
    expires_at,
    downloaded_at,
});

/// The PostgreSQL row behind a SeaORM result (the only backend this server runs on).
pub fn pg_row(row: &QueryResult) -> Result<&PgRow, DbErr> {
    row.try_as_pg_row()
        .ok_or_else(|| DbErr::Custom("not a PostgreSQL row".into()))
}

pub fn decode_error(table: &str, err: sea_orm::sqlx::Error) -> DbErr {
    DbErr::Type(format!("reading a row of {table}: {err}"))
}

/// Every row of `rows` read as `M`.
pub fn read_all<M: FromRow>(rows: &[QueryResult]) -> Result<Vec<M>, DbErr> {
    rows.iter().map(|row| M::read(row, 0)).collect()
}
