//! Builds a user's export archive: one JSON document per table (rows as the database holds
//! them, secrets left out) plus the original files, zipped. docs/export.md documents each file.
//!
//! PostgreSQL renders the rows (`to_jsonb`), so every column a migration adds appears in the
//! export without code here changing; the columns that hold secrets or server paths are named
//! and removed.

use std::io::{self, Seek, SeekFrom, Write};

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, Statement};
use serde_json::{Value, json};
use zip::{CompressionMethod, ZipWriter, write::SimpleFileOptions};

use crate::{
    error::BoxError,
    storage::{SharedStorage, StorageKey},
};

/// One JSON document of the archive: the rows of `table` matching `condition` (`$1` is the
/// user's id), without the `omit` columns.
struct Section {
    file: &'static str,
    table: &'static str,
    condition: &'static str,
    omit: &'static [&'static str],
    /// Added to every row, e.g. where the row's file sits in the archive.
    extra: &'static str,
    about: &'static str,
}

const SECTIONS: &[Section] = &[
    Section {
        file: "profile.json",
        table: "users",
        condition: "t.id = $1",
        omit: &["password_hash", "profile_image_url"],
        extra: "jsonb_build_object('archive_file', CASE WHEN t.profile_image_url IS NOT NULL THEN 'profile-image.jpg' END)",
        about: "your account (one row); the password hash is left out",
    },
    Section {
        file: "health_assessments.json",
        table: "health_assessments",
        condition: "t.user_id = $1",
        omit: &[],
        extra: "'{}'::jsonb",
        about: "every health assessment with its inputs, score and advice",
    },
    Section {
        file: "medical_reports.json",
        table: "medical_reports",
        condition: "t.user_id = $1",
        omit: &["file_path"],
        extra: "jsonb_build_object('archive_file', 'reports/' || t.id || '/' || t.file_name)",
        about: "every uploaded report with its analysis and doctor notes; the file is `archive_file`",
    },
    Section {
        file: "chat_sessions.json",
        table: "chat_sessions",
        condition: "t.user_id = $1",
        omit: &[],
        extra: "'{}'::jsonb",
        about: "every chat session",
    },
    Section {
        file: "chat_messages.json",
        table: "chat_messages",
        condition: "t.session_id IN (SELECT id FROM chat_sessions WHERE user_id = $1)",
        omit: &[],
        extra: "'{}'::jsonb",
        about: "every message of those sessions, yours and the assistant's",
    },
    Section {
        file: "app_settings.json",
        table: "app_settings",
        condition: "t.user_id = $1",
        omit: &[],
        extra: "'{}'::jsonb",
        about: "the settings you changed (the others have their defaults)",
    },
    Section {
        file: "user_sessions.json",
        table: "user_sessions",
        condition: "t.user_id = $1",
        omit: &["session_token"],
        extra: "'{}'::jsonb",
        about: "device sessions; the token hashes are left out",
    },
    Section {
        file: "password_reset_tokens.json",
        table: "password_reset_tokens",
        condition: "t.user_id = $1",
        omit: &["token"],
        extra: "'{}'::jsonb",
        about: "password resets asked for; the token hashes are left out",
    },
    Section {
        file: "otp_verifications.json",
        table: "otp_verifications",
        // Codes for the current address since shortly before the account existed (a sign-up
        // code precedes the account): not those a previous owner of the address asked for.
        condition: "t.email = (SELECT email FROM users WHERE id = $1) \
                    AND t.created_at >= (SELECT created_at - interval '1 hour' FROM users WHERE id = $1)",
        omit: &["otp_code"],
        extra: "'{}'::jsonb",
        about: "one-time codes sent to your address; the code hashes are left out",
    },
    Section {
        file: "care_team_grants.json",
        table: "care_team_grants",
        condition: "t.patient_id = $1 OR t.clinician_id = $1",
        omit: &[],
        extra: "'{}'::jsonb",
        about: "access you gave clinicians (and, as a clinician, were given)",
    },
    Section {
        file: "audit_events.json",
        table: "audit_events",
        condition: "t.actor_user_id = $1 OR t.subject_user_id = $1",
        omit: &[],
        // The ids of staff who acted on the user are theirs to see; the staff's addresses are not.
        extra: "jsonb_build_object('ip_address', CASE WHEN t.actor_user_id = $1 THEN t.ip_address END)",
        about: "the security and access log of your account: what you did, and who read or changed your data",
    },
    Section {
        file: "data_exports.json",
        table: "data_exports",
        condition: "t.user_id = $1",
        omit: &["file_path"],
        extra: "'{}'::jsonb",
        about: "the exports you asked for",
    },
];

async fn rows(db: &DatabaseConnection, section: &Section, user_id: i32) -> Result<Value, BoxError> {
    let omit: Vec<String> = section.omit.iter().map(|c| (*c).to_owned()).collect();
    let sql = format!(
        "SELECT coalesce(jsonb_agg((to_jsonb(t) - $2::text[]) || {extra} ORDER BY t.id), '[]'::jsonb) AS rows \
         FROM {table} t WHERE {condition}",
        extra = section.extra,
        table = section.table,
        condition = section.condition,
    );
    let statement =
        Statement::from_sql_and_values(DbBackend::Postgres, sql, [user_id.into(), omit.into()]);
    let row = db
        .query_one_raw(statement)
        .await?
        .ok_or("the export query returned no row")?;
    Ok(row.try_get::<Value>("", "rows")?)
}

const FHIR_FILE: &str = "fhir-bundle.json";
const FHIR_ABOUT: &str = "your health record as one HL7 FHIR R4 collection Bundle (docs/fhir.md), for other health apps and clinicians' systems; attachments point at the files in reports/";

/// The record as a FHIR `collection` Bundle, attachments pointing into the archive.
async fn fhir_bundle(
    db: &DatabaseConnection,
    user_id: i32,
    now: DateTime<Utc>,
) -> Result<Value, BoxError> {
    let user = entity::users::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or("the exported account is gone")?;
    let file_url = |row: &entity::medical_reports::Model| {
        format!(
            "reports/{}/{}",
            row.id,
            crate::fhir::entry::path_segment(&row.file_name)
        )
    };
    let entries = crate::fhir::record::own(db, &user, &file_url).await?;
    Ok(crate::fhir::bundle::collection(None, &entries, now))
}

/// A stored file and where it goes in the archive.
struct FileEntry {
    path: String,
    key: StorageKey,
}

async fn files(db: &DatabaseConnection, user_id: i32) -> Result<Vec<FileEntry>, BoxError> {
    let statement = Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT 'reports/' || id || '/' || file_name AS path, file_path AS key FROM medical_reports \
         WHERE user_id = $1 \
         UNION ALL SELECT 'profile-image.jpg', profile_image_url FROM users \
         WHERE id = $1 AND profile_image_url IS NOT NULL \
         ORDER BY path",
        [user_id.into()],
    );
    let mut entries = Vec::new();
    for row in db.query_all_raw(statement).await? {
        let path: String = row.try_get("", "path")?;
        let key: String = row.try_get("", "key")?;
        // Keys are re-parsed: a tampered row cannot make the archive read outside the store.
        if let Some(key) = StorageKey::parse(&key) {
            entries.push(FileEntry { path, key });
        }
    }
    Ok(entries)
}

const README: &str = "Echo Health: your data\n\
\n\
This archive holds everything Echo Health keeps about you. manifest.json lists each file and\n\
what it holds; each .json file is a list of rows with the database's column names (described\n\
in the API's docs/schema.md). reports/ holds the files you uploaded, as you uploaded them.\n\
Times are UTC (ISO 8601). Secrets (password, token and code hashes) are never exported.\n";

/// Builds `user_id`'s archive into an anonymous temporary file; returns it rewound, with its
/// size. Files are streamed from storage one at a time, so memory stays small however much
/// the user uploaded.
pub async fn build(
    db: &DatabaseConnection,
    storage: &SharedStorage,
    user_id: i32,
    now: DateTime<Utc>,
) -> Result<(std::fs::File, u64), BoxError> {
    let mut documents = Vec::new();
    for section in SECTIONS {
        documents.push((section.file, rows(db, section, user_id).await?));
    }
    documents.push((FHIR_FILE, fhir_bundle(db, user_id, now).await?));
    let files = files(db, user_id).await?;
    let mut manifest_files: serde_json::Map<String, Value> = SECTIONS
        .iter()
        .map(|s| (s.file.to_owned(), Value::from(s.about)))
        .collect();
    manifest_files.insert(FHIR_FILE.to_owned(), Value::from(FHIR_ABOUT));

    let storage = storage.clone();
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || -> Result<(std::fs::File, u64), BoxError> {
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .large_file(true);
        let mut zip = ZipWriter::new(tempfile::tempfile()?);
        zip.start_file("README.txt", options)?;
        zip.write_all(README.as_bytes())?;
        for (name, rows) in &documents {
            zip.start_file(*name, options)?;
            serde_json::to_writer_pretty(&mut zip, rows)?;
        }
        let mut missing = Vec::new();
        for entry in &files {
            // Reading from storage is async; this thread may wait on it (it is a blocking one).
            let stream = handle.block_on(storage.read(&entry.key, None));
            let mut stream = match stream {
                Ok(stream) => stream,
                Err(err) if err.kind() == io::ErrorKind::NotFound => {
                    missing.push(entry.path.clone());
                    continue;
                }
                Err(err) => return Err(err.into()),
            };
            zip.start_file(entry.path.as_str(), options)?;
            while let Some(chunk) = handle.block_on(stream.next()) {
                zip.write_all(&chunk?)?;
            }
        }
        zip.start_file("manifest.json", options)?;
        let manifest = json!({
            "format": "echo-health-export",
            "version": 1,
            "generated_at": now,
            "user_id": user_id,
            "files": manifest_files,
            "missing_files": missing,
        });
        serde_json::to_writer_pretty(&mut zip, &manifest)?;
        let mut file = zip.finish()?;
        let size = file.seek(SeekFrom::End(0))?;
        file.seek(SeekFrom::Start(0))?;
        Ok((file, size))
    })
    .await?
}
