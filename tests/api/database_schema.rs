//! The migrated database is the ERD: tables, columns, types, keys, cascades, indexes, CHECKs.

use std::collections::BTreeSet;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};
use tests::{SERVER_URL, fresh_database, spawn_app};

/// (column, PostgreSQL udt name, nullable)
type Column = (&'static str, &'static str, bool);

/// The ERD of `shared/seed/echo-health-erd.md` in PostgreSQL types.
const ERD: &[(&str, &[Column])] = &[
    (
        "users",
        &[
            ("id", "int4", false),
            ("email", "varchar", false),
            ("password_hash", "varchar", false),
            ("first_name", "varchar", false),
            ("last_name", "varchar", false),
            ("date_of_birth", "date", true),
            ("gender", "varchar", true),
            ("phone_number", "varchar", true),
            ("profile_image_url", "text", true),
            ("is_verified", "bool", false),
            ("is_active", "bool", false),
            ("created_at", "timestamptz", false),
            ("updated_at", "timestamptz", false),
            // Migration 6 (docs/schema.md): staff roles.
            ("role", "varchar", false),
        ],
    ),
    (
        "otp_verifications",
        &[
            ("id", "int4", false),
            ("email", "varchar", false),
            ("otp_code", "varchar", false),
            ("purpose", "varchar", false),
            ("expires_at", "timestamptz", false),
            ("is_used", "bool", false),
            ("attempts", "int4", false),
            ("created_at", "timestamptz", false),
        ],
    ),
    (
        "password_reset_tokens",
        &[
            ("id", "int4", false),
            ("user_id", "int4", false),
            ("token", "varchar", false),
            ("expires_at", "timestamptz", false),
            ("is_used", "bool", false),
            ("created_at", "timestamptz", false),
        ],
    ),
    (
        "health_assessments",
        &[
            ("id", "int4", false),
            ("user_id", "int4", false),
            ("assessment_type", "varchar", false),
            ("risk_score", "int4", false),
            ("risk_level", "varchar", false),
            ("probability", "numeric", true),
            ("assessment_data", "jsonb", false),
            ("recommendations", "_text", false),
            ("warning_signs", "_text", false),
            ("next_steps", "_text", false),
            ("is_api_result", "bool", false),
            ("created_at", "timestamptz", false),
        ],
    ),
    (
        "medical_reports",
        &[
            ("id", "int4", false),
            ("user_id", "int4", false),
            ("report_type", "varchar", false),
            ("file_name", "varchar", false),
            ("file_path", "text", false),
            ("file_size", "int4", false),
            ("mime_type", "varchar", false),
            ("upload_date", "timestamptz", false),
            ("analysis_status", "varchar", false),
            ("analysis_result", "jsonb", true),
            ("ai_insights", "text", true),
            ("doctor_notes", "text", true),
            ("is_archived", "bool", false),
            // Migration 4 (docs/schema.md): title, duplicate detection, failure reason.
            ("title", "varchar", true),
            ("content_sha256", "varchar", true),
            ("analysis_error", "varchar", true),
            ("analyzed_at", "timestamptz", true),
            // Migration 6: who wrote the doctor notes, and when.
            ("doctor_notes_author_id", "int4", true),
            ("doctor_notes_updated_at", "timestamptz", true),
        ],
    ),
    (
        "chat_sessions",
        &[
            ("id", "int4", false),
            ("user_id", "int4", false),
            ("session_type", "varchar", false),
            ("is_active", "bool", false),
            ("started_at", "timestamptz", false),
            ("ended_at", "timestamptz", true),
            ("total_messages", "int4", false),
        ],
    ),
    (
        "chat_messages",
        &[
            ("id", "int4", false),
            ("session_id", "int4", false),
            ("sender_type", "varchar", false),
            ("message_content", "text", false),
            ("message_type", "varchar", false),
            ("metadata", "jsonb", false),
            ("created_at", "timestamptz", false),
            // Migration 5 (docs/schema.md): idempotent sends, reply links.
            ("client_message_id", "varchar", true),
            ("reply_to_id", "int4", true),
        ],
    ),
    (
        "user_sessions",
        &[
            ("id", "int4", false),
            ("user_id", "int4", false),
            ("session_token", "varchar", false),
            ("device_info", "jsonb", false),
            ("ip_address", "inet", true),
            ("expires_at", "timestamptz", false),
            ("is_active", "bool", false),
            ("created_at", "timestamptz", false),
            ("last_activity", "timestamptz", false),
        ],
    ),
    (
        "app_settings",
        &[
            ("id", "int4", false),
            ("user_id", "int4", false),
            ("setting_key", "varchar", false),
            ("setting_value", "text", false),
            ("setting_type", "varchar", false),
            ("created_at", "timestamptz", false),
            ("updated_at", "timestamptz", false),
        ],
    ),
];

/// What later migrations added (docs/schema.md lists each with its reason).
const ADDITIONS: &[(&str, &[Column])] = &[
    (
        "user_sessions",
        &[
            ("idle_timeout_seconds", "int4", false),
            // Migration 7: read-your-writes with a read replica.
            ("last_write_at", "timestamptz", true),
        ],
    ),
    (
        "audit_events",
        &[
            ("id", "int8", false),
            ("actor_user_id", "int4", true),
            ("subject_user_id", "int4", true),
            ("event_type", "varchar", false),
            ("ip_address", "inet", true),
            ("details", "jsonb", false),
            ("created_at", "timestamptz", false),
        ],
    ),
    (
        "jobs",
        &[
            ("id", "int8", false),
            ("kind", "varchar", false),
            ("payload", "jsonb", false),
            ("dedupe_key", "varchar", true),
            ("status", "varchar", false),
            ("attempts", "int4", false),
            ("max_attempts", "int4", false),
            ("run_at", "timestamptz", false),
            ("locked_until", "timestamptz", true),
            ("last_error", "text", true),
            ("created_at", "timestamptz", false),
            ("updated_at", "timestamptz", false),
        ],
    ),
    (
        "rate_limit_events",
        &[
            ("id", "int8", false),
            ("bucket", "varchar", false),
            ("created_at", "timestamptz", false),
        ],
    ),
    (
        "care_team_grants",
        &[
            ("id", "int4", false),
            ("patient_id", "int4", false),
            ("clinician_id", "int4", false),
            ("scopes", "_text", false),
            ("expires_at", "timestamptz", true),
            ("revoked_at", "timestamptz", true),
            ("created_at", "timestamptz", false),
        ],
    ),
    (
        "data_exports",
        &[
            ("id", "int4", false),
            ("user_id", "int4", false),
            ("status", "varchar", false),
            ("file_path", "text", true),
            ("file_size", "int8", true),
            ("error", "varchar", true),
            ("created_at", "timestamptz", false),
            ("completed_at", "timestamptz", true),
            ("expires_at", "timestamptz", true),
            ("downloaded_at", "timestamptz", true),
        ],
    ),
    (
        "fhir_imports",
        &[
            ("id", "int4", false),
            ("user_id", "int4", false),
            ("source", "varchar", false),
            ("health_assessment_id", "int4", false),
            ("imported_at", "timestamptz", false),
        ],
    ),
];

async fn lines(db: &DatabaseConnection, sql: &str) -> BTreeSet<String> {
    db.query_all_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.try_get_by_index::<String>(0).unwrap())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

const CONSTRAINTS: &str = "\
    SELECT c.contype::text || ' ' || c.conrelid::regclass::text || '(' || \
      (SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(c.conkey) WITH ORDINALITY k(attnum, ord) \
       JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum) || ')' || \
      CASE WHEN c.contype = 'f' THEN ' -> ' || c.confrelid::regclass::text || ' on delete ' || c.confdeltype::text ELSE '' END \
    FROM pg_constraint c WHERE c.connamespace = 'public'::regnamespace AND c.contype IN ('p', 'u', 'f') \
      AND c.conrelid::regclass::text <> 'seaql_migrations'";

#[tokio::test]
async fn tables_and_columns_are_the_erd() {
    let app = spawn_app().await;
    let actual = lines(
        &app.db,
        "SELECT table_name || '.' || column_name || ' ' || udt_name || ' ' || \
           CASE WHEN is_nullable = 'YES' THEN 'null' ELSE 'not null' END \
         FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'seaql_migrations'",
    )
    .await;
    let expected: BTreeSet<String> = ERD
        .iter()
        .chain(ADDITIONS)
        .flat_map(|(table, columns)| {
            columns.iter().map(move |(column, udt, nullable)| {
                format!(
                    "{table}.{column} {udt} {}",
                    if *nullable { "null" } else { "not null" }
                )
            })
        })
        .collect();
    assert_eq!(actual, expected);

    let identity = lines(
        &app.db,
        "SELECT table_name FROM information_schema.columns \
         WHERE table_schema = 'public' AND column_name = 'id' AND is_identity = 'YES'",
    )
    .await;
    assert_eq!(
        identity,
        ERD.iter()
            .chain(ADDITIONS)
            .map(|(t, _)| t.to_string())
            .collect(),
        "every id is an identity column"
    );
}

#[tokio::test]
async fn keys_and_cascades_are_the_erd() {
    let app = spawn_app().await;
    let mut expected: Vec<String> = ERD.iter().map(|(t, _)| format!("p {t}(id)")).collect();
    expected.extend(
        [
            "p audit_events(id)",
            "p rate_limit_events(id)",
            "p jobs(id)",
            "u jobs(dedupe_key)",
            "u medical_reports(file_path)",
            "u chat_messages(session_id,client_message_id)",
            "f chat_messages(reply_to_id) -> chat_messages on delete c",
            "p care_team_grants(id)",
            "f care_team_grants(patient_id) -> users on delete c",
            "f care_team_grants(clinician_id) -> users on delete c",
            "p data_exports(id)",
            "u data_exports(file_path)",
            "f data_exports(user_id) -> users on delete c",
            "p fhir_imports(id)",
            "f fhir_imports(user_id) -> users on delete c",
            "f fhir_imports(health_assessment_id) -> health_assessments on delete c",
        ]
        .map(String::from),
    );
    // Audit rows outlive the accounts they mention.
    expected.extend(
        [
            "f audit_events(actor_user_id) -> users on delete n",
            "f audit_events(subject_user_id) -> users on delete n",
            // Notes outlive the clinician account that wrote them.
            "f medical_reports(doctor_notes_author_id) -> users on delete n",
        ]
        .map(String::from),
    );
    expected.extend(
        [
            "u users(email)",
            "u password_reset_tokens(token)",
            "u user_sessions(session_token)",
            "u app_settings(user_id,setting_key)",
            "f password_reset_tokens(user_id) -> users on delete c",
            "f health_assessments(user_id) -> users on delete c",
            "f medical_reports(user_id) -> users on delete c",
            "f chat_sessions(user_id) -> users on delete c",
            "f user_sessions(user_id) -> users on delete c",
            "f app_settings(user_id) -> users on delete c",
            "f chat_messages(session_id) -> chat_sessions on delete c",
        ]
        .map(String::from),
    );
    assert_eq!(
        lines(&app.db, CONSTRAINTS).await,
        expected.into_iter().collect()
    );

    // Every foreign key column leads some index, so joins and cascades do not scan.
    let unindexed = lines(
        &app.db,
        "SELECT c.conrelid::regclass::text || '.' || a.attname FROM pg_constraint c \
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] \
         WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace \
           AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1])",
    )
    .await;
    assert!(
        unindexed.is_empty(),
        "foreign keys without an index: {unindexed:?}"
    );

    // The read paths: lists by owner in time order, OTP lookups by address and purpose.
    let indexes = lines(
        &app.db,
        "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'",
    )
    .await;
    for index in [
        "idx-health_assessments-user_id-created_at",
        "idx-medical_reports-user_id-upload_date",
        "idx-chat_sessions-user_id-started_at",
        "idx-chat_messages-session_id-created_at",
        "idx-user_sessions-user_id-created_at",
        "idx-otp_verifications-email-purpose",
        "idx-password_reset_tokens-user_id",
    ] {
        assert!(indexes.contains(index), "missing index {index}");
    }
}

#[tokio::test]
async fn check_constraints_list_exactly_the_rust_enum_values() {
    let app = spawn_app().await;
    // Every CHECK that lists values (`IN (...)`, shown by PostgreSQL as `= ANY (ARRAY[...])`,
    // or an array column's `<@ ARRAY[...]`) has its Rust enum, and the other way round.
    let value_lists = lines(
        &app.db,
        "SELECT conname FROM pg_constraint WHERE contype = 'c' AND connamespace = 'public'::regnamespace \
         AND (pg_get_constraintdef(oid) LIKE '%= ANY (%ARRAY[%' OR pg_get_constraintdef(oid) LIKE '%<@ ARRAY[%')",
    )
    .await;
    let enums: BTreeSet<String> = api::enums::all_db_enums()
        .iter()
        .map(|(t, c, _)| format!("ck-{t}-{c}"))
        .collect();
    assert_eq!(value_lists, enums);
    for (table, column, values) in api::enums::all_db_enums() {
        let definition = lines(
            &app.db,
            &format!(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'ck-{table}-{column}'"
            ),
        )
        .await;
        assert_eq!(definition.len(), 1, "ck-{table}-{column} exists");
        let definition = definition.into_iter().next().unwrap();
        let in_db: Vec<&str> = definition.split('\'').skip(1).step_by(2).collect();
        assert_eq!(in_db, values, "{table}.{column}");
    }
}

#[tokio::test]
async fn the_database_refuses_values_outside_the_rules() {
    let app = spawn_app().await;
    let user = app.create_user("rules@example.com").await;
    let refused = [
        "INSERT INTO users (email, password_hash, first_name, last_name) VALUES ('Upper@Example.com', 'h', 'a', 'b')".to_string(),
        "INSERT INTO users (email, password_hash, first_name, last_name) VALUES ('rules@example.com', 'h', 'a', 'b')".to_string(),
        format!("INSERT INTO health_assessments (user_id, assessment_type, risk_score, risk_level) VALUES ({}, 'bmi', 1, 'extreme')", user.id),
        format!("INSERT INTO health_assessments (user_id, assessment_type, risk_score, risk_level, probability) VALUES ({}, 'bmi', 1, 'low', 1.5)", user.id),
        format!("INSERT INTO chat_sessions (user_id, session_type) VALUES ({}, 'gossip')", user.id),
        format!("INSERT INTO app_settings (user_id, setting_key, setting_value) VALUES ({0}, 'k', 'v'), ({0}, 'k', 'w')", user.id),
        "INSERT INTO chat_sessions (user_id) VALUES (999999)".to_string(),
    ];
    for sql in refused {
        assert!(
            app.db.execute_unprepared(&sql).await.is_err(),
            "accepted: {sql}"
        );
    }
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM users").await,
        1,
        "nothing half-written"
    );

    // Defaults a fresh row gets.
    app.execute(&format!(
        "INSERT INTO chat_sessions (user_id) VALUES ({})",
        user.id
    ))
    .await;
    let defaults = lines(
        &app.db,
        "SELECT session_type || ' ' || is_active || ' ' || total_messages || ' ' || (started_at IS NOT NULL) FROM chat_sessions",
    )
    .await;
    assert_eq!(defaults, set(&["general true 0 true"]));
}

#[tokio::test]
async fn deleting_a_user_removes_everything_of_theirs_and_nothing_else() {
    let app = spawn_app().await;
    let doomed = app.create_user("doomed@example.com").await;
    let kept = app.create_user("kept@example.com").await;
    for user in [&doomed, &kept] {
        let id = user.id;
        app.execute(&format!(
            "INSERT INTO password_reset_tokens (user_id, token, expires_at) VALUES ({id}, 'tok-{id}', now() + interval '1 hour');
             INSERT INTO health_assessments (user_id, assessment_type, risk_score, risk_level) VALUES ({id}, 'bmi', 22, 'low');
             INSERT INTO medical_reports (user_id, report_type, file_name, file_path, file_size, mime_type)
                 VALUES ({id}, 'lab_result', 'a.pdf', '/data/{id}/a', 10, 'application/pdf');
             INSERT INTO chat_sessions (user_id) VALUES ({id});
             INSERT INTO chat_messages (session_id, sender_type, message_content)
                 SELECT id, 'user', 'hello' FROM chat_sessions WHERE user_id = {id};
             INSERT INTO app_settings (user_id, setting_key, setting_value) VALUES ({id}, 'theme', 'dark');
             INSERT INTO data_exports (user_id) VALUES ({id});
             INSERT INTO fhir_imports (user_id, source, health_assessment_id)
                 SELECT {id}, 'Observation/o-{id}', id FROM health_assessments WHERE user_id = {id};"
        ))
        .await;
        app.sign_in(user).await;
    }
    let tables = [
        "password_reset_tokens",
        "health_assessments",
        "medical_reports",
        "chat_sessions",
        "user_sessions",
        "app_settings",
        "data_exports",
        "fhir_imports",
    ];
    for table in tables {
        assert_eq!(
            app.scalar_i64(&format!("SELECT count(*) FROM {table}"))
                .await,
            2,
            "{table} seeded"
        );
    }

    app.execute(&format!("DELETE FROM users WHERE id = {}", doomed.id))
        .await;

    for table in tables {
        let left = app
            .scalar_i64(&format!(
                "SELECT count(*) FROM {table} WHERE user_id = {}",
                doomed.id
            ))
            .await;
        assert_eq!(left, 0, "{table} keeps rows of a deleted user");
        let other = app
            .scalar_i64(&format!(
                "SELECT count(*) FROM {table} WHERE user_id = {}",
                kept.id
            ))
            .await;
        assert_eq!(other, 1, "{table} lost another user's row");
    }
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM chat_messages").await,
        1,
        "messages go with their session"
    );
    let kept_message = app
        .scalar_i64(&format!(
            "SELECT count(*) FROM chat_messages m JOIN chat_sessions s ON s.id = m.session_id WHERE s.user_id = {}",
            kept.id
        ))
        .await;
    assert_eq!(kept_message, 1);
}

const SNAPSHOT: &str = "\
    SELECT 'column ' || table_name || '.' || column_name || ' ' || udt_name || ' ' || is_nullable || ' ' || \
           coalesce(column_default, '-') || ' ' || is_identity || ' ' || coalesce(character_maximum_length::text, '-') \
      FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'seaql_migrations' \
    UNION ALL SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) \
      FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text <> 'seaql_migrations' \
    UNION ALL SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> 'seaql_migrations' \
    UNION ALL SELECT 'trigger ' || pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal \
    UNION ALL SELECT 'function ' || proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace";

#[tokio::test]
async fn migrating_down_to_zero_and_up_again_leaves_the_same_schema() {
    // The template is named after `migration::SOURCES`: every migration must be in it.
    assert_eq!(migration::SOURCES.len(), Migrator::migrations().len() + 1);
    let name = fresh_database().await;
    let db = Database::connect(format!("{SERVER_URL}/{name}"))
        .await
        .unwrap();
    let before = lines(&db, SNAPSHOT).await;
    assert!(
        before.len() > 100,
        "the snapshot sees the schema ({} lines)",
        before.len()
    );

    Migrator::down(&db, None).await.unwrap();
    let empty = lines(&db, SNAPSHOT).await;
    assert!(
        empty.is_empty(),
        "down to zero leaves nothing behind: {empty:?}"
    );

    Migrator::up(&db, None).await.unwrap();
    assert_eq!(lines(&db, SNAPSHOT).await, before);

    db.close().await.unwrap();
    let admin = Database::connect(format!("{SERVER_URL}/postgres"))
        .await
        .unwrap();
    admin
        .execute_unprepared(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
        .await
        .unwrap();
}
