//! `api seed`: the promised counts, the same rows on every run, refusal of a database that holds
//! data, and seeded accounts that really sign in.

use clap::Parser;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};
use serde_json::json;
use tests::{fresh_database, ok, spawn_app};

const TABLES: &[&str] = &[
    "users",
    "health_assessments",
    "medical_reports",
    "chat_sessions",
    "chat_messages",
    "app_settings",
    "user_sessions",
    "care_team_grants",
];

async fn seed(database_url: &str, extra: &[&str]) -> Result<(), String> {
    let mut argv = vec!["api", "--database-url", database_url, "seed"];
    argv.extend_from_slice(extra);
    let cli = api::cli::Cli::try_parse_from(argv).map_err(|e| e.to_string())?;
    api::cli::run(cli).await.map_err(|e| e.to_string())
}

/// A digest of every seeded table's rows, in id order: (table, rows, md5 of the rows).
async fn digest(db: &DatabaseConnection) -> Vec<(String, i64, String)> {
    let mut out = Vec::new();
    for table in TABLES {
        let sql = format!(
            "SELECT count(*) AS n, coalesce(md5(string_agg(t::text, '|' ORDER BY t.id)), '') AS md5 \
             FROM {table} t"
        );
        let row = db
            .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
            .await
            .unwrap()
            .unwrap();
        out.push((
            (*table).to_owned(),
            row.try_get::<i64>("", "n").unwrap(),
            row.try_get::<String>("", "md5").unwrap(),
        ));
    }
    out
}

#[tokio::test]
async fn seeding_gives_the_promised_data_the_same_every_time() {
    let app = spawn_app().await;
    seed(&app.database_url, &["--users", "250", "--seed", "7"])
        .await
        .unwrap();
    let first = digest(&app.db).await;

    let count = |table: &str| first.iter().find(|(t, _, _)| t == table).unwrap().1;
    assert_eq!(count("users"), 250);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM users WHERE role = 'clinician'")
            .await,
        2,
        "users 100 and 200"
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM users WHERE role = 'admin' AND id = 1")
            .await,
        1
    );
    // Every user has several assessments and chats; sessions hold their counted messages.
    for (table, least) in [
        ("health_assessments", 3),
        ("chat_sessions", 3),
        ("app_settings", 3),
        ("user_sessions", 1),
    ] {
        let fewest = app
            .scalar_i64(&format!(
                "SELECT min(n) FROM (SELECT count(t.id) AS n FROM users u \
                 LEFT JOIN {table} t ON t.user_id = u.id GROUP BY u.id) c"
            ))
            .await;
        assert!(fewest >= least, "{table}: {fewest}");
    }
    assert_eq!(
        app.scalar_i64("SELECT sum(total_messages) FROM chat_sessions")
            .await,
        count("chat_messages")
    );
    assert!(count("chat_messages") >= 250 * 3 * 10);
    assert!(
        app.scalar_i64(
            "SELECT count(*) FROM health_assessments WHERE assessment_data->>'version' IS NULL"
        )
        .await
            == 0,
        "assessments are real instrument results"
    );
    // Grants only to clinicians, from their own practice.
    assert_eq!(
        app.scalar_i64(
            "SELECT count(*) FROM care_team_grants g JOIN users c ON c.id = g.clinician_id \
             WHERE c.role <> 'clinician' OR g.patient_id >= g.clinician_id \
             OR g.patient_id < g.clinician_id - 100"
        )
        .await,
        0
    );
    assert!(count("care_team_grants") > 100);

    // A database with data is refused, and nothing changes.
    let refused = seed(&app.database_url, &["--users", "250", "--seed", "7"]).await;
    assert!(refused.unwrap_err().contains("--replace"));
    assert_eq!(digest(&app.db).await, first);

    // --replace starts over and arrives at the same rows; so does a second database.
    seed(
        &app.database_url,
        &["--users", "250", "--seed", "7", "--replace"],
    )
    .await
    .unwrap();
    assert_eq!(digest(&app.db).await, first);
    let other = format!(
        "{}/{}",
        app.database_url.rsplit_once('/').unwrap().0,
        fresh_database().await
    );
    seed(&other, &["--users", "250", "--seed", "7"])
        .await
        .unwrap();
    let other_db = Database::connect(&other).await.unwrap();
    assert_eq!(digest(&other_db).await, first);
    // Another seed, other rows.
    seed(&other, &["--users", "250", "--seed", "8", "--replace"])
        .await
        .unwrap();
    assert_ne!(digest(&other_db).await, first);
    other_db.close().await.unwrap();
    let other_name = other.rsplit_once('/').unwrap().1.to_owned();
    app.execute(&format!("DROP DATABASE {other_name} WITH (FORCE)"))
        .await;

    // Identity counters moved past the seeded ids: new rows insert.
    app.create_user("after-seed@example.com").await;
    // Seeded accounts sign in with the documented password.
    let login = app
        .graphql(
            "mutation($email: String!, $password: String!) {
               login(input: { email: $email, password: $password }) { user { email role } } }",
            json!({ "email": "user100@seed.echo-health.test", "password": api::seed::SEED_PASSWORD }),
        )
        .await;
    assert_eq!(ok(&login)["login"]["user"]["role"], "CLINICIAN");
}
