//! Read-replica routing (`DATABASE_READ_URL`), tested with a second database user that may only
//! read, as a replica is: queries are served by it, mutations and sessions that just wrote use
//! the primary, and so do clinicians.

use chrono::Duration;
use sea_orm::{ConnectionTrait, Database};
use serde_json::json;
use tests::{TestApp, ok, spawn_app_with};

const READER: &str = "echo_replica_reader";

async fn app_with_replica() -> TestApp {
    // Roles belong to the cluster: made once, before the server connects as it.
    let server = Database::connect("postgres://postgres@127.0.0.1:5432/postgres")
        .await
        .unwrap();
    server
        .execute_unprepared(&format!(
            "DO $$ BEGIN CREATE ROLE {READER} LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
             ALTER ROLE {READER} SET default_transaction_read_only = on;"
        ))
        .await
        .unwrap();
    server.close().await.unwrap();
    let app = spawn_app_with(|s| {
        s.database.database_read_url = Some(s.database.database_url.replacen(
            "postgres@",
            &format!("{READER}@"),
            1,
        ));
    })
    .await;
    app.execute(&format!(
        "GRANT USAGE ON SCHEMA public TO {READER};
         GRANT SELECT ON ALL TABLES IN SCHEMA public TO {READER};"
    ))
    .await;
    app
}

/// Statements (primary, replica) that `query` as `token` cost.
async fn routed(app: &TestApp, token: &str, query: &str) -> (serde_json::Value, u64, u64) {
    let (primary, replica) = (app.statements(), app.state.read_db_stats.statements());
    let response = app.graphql_as(Some(token), query, json!({})).await;
    let data = ok(&response).clone();
    (
        data,
        app.statements() - primary,
        app.state.read_db_stats.statements() - replica,
    )
}

const READ: &str = "{ me { email healthAssessments { totalCount edges { node { riskScore } } } } }";
const WRITE: &str = "mutation { createHealthAssessment(input: { bmi: { heightCm: 180, weightKg: 81 } }) { assessment { id } } }";

#[tokio::test]
async fn queries_use_the_replica_writes_and_fresh_writers_the_primary() {
    let app = app_with_replica().await;
    // The replica user really cannot write.
    let replica_url = app
        .database_url
        .replacen("postgres@", &format!("{READER}@"), 1);
    let replica = Database::connect(&replica_url).await.unwrap();
    let refused = replica
        .execute_unprepared(
            "INSERT INTO rate_limit_events (bucket, created_at) VALUES ('x', now())",
        )
        .await;
    assert!(refused.unwrap_err().to_string().contains("read-only"));

    let user = app.create_user("reader@example.com").await;
    let token = app.sign_in(&user).await;
    let (data, primary, from_replica) = routed(&app, &token, READ).await;
    assert_eq!(data["me"]["email"], "reader@example.com");
    assert!(from_replica >= 2, "the page and its count: {from_replica}");
    assert_eq!(primary, 1, "only the token lookup");

    // A mutation runs on the primary (on the replica it would fail).
    let (data, _, from_replica) = routed(&app, &token, WRITE).await;
    assert!(data["createHealthAssessment"]["assessment"]["id"].is_string());
    assert_eq!(from_replica, 0);

    // Right after writing, the session reads from the primary and sees its write...
    let (data, primary, from_replica) = routed(&app, &token, READ).await;
    assert_eq!(data["me"]["healthAssessments"]["totalCount"], 1);
    assert_eq!(from_replica, 0);
    assert!(primary >= 3);
    // ...until the read-after-write window has passed.
    app.clock.advance(Duration::seconds(11));
    let (data, _, from_replica) = routed(&app, &token, READ).await;
    assert_eq!(data["me"]["healthAssessments"]["totalCount"], 1);
    assert!(from_replica >= 2);

    // A named mutation sent without `operationName` is the document's only operation, and a
    // write: the primary runs it, though this session has not written for a while.
    let named = "mutation Measure { createHealthAssessment(input: { bmi: { heightCm: 180, weightKg: 82 } }) { assessment { id } } }";
    let (data, _, from_replica) = routed(&app, &token, named).await;
    assert!(data["createHealthAssessment"]["assessment"]["id"].is_string());
    assert_eq!(from_replica, 0);

    // Clinicians read other people's data through grants: always from the primary, so a
    // revocation counts at once.
    let clinician = app
        .create_user_as("dr@example.com", "clinician", "Dana", "Reyes")
        .await;
    let clinician_token = app.sign_in(&clinician).await;
    let (_, primary, from_replica) =
        routed(&app, &clinician_token, "{ patients { totalCount } }").await;
    assert_eq!(from_replica, 0);
    assert!(primary >= 2);
}
