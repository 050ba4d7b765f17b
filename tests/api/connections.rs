//! Requests' database connections (`api::read_pool`): reads keep their connections between
//! statements, and that must neither break when the server ends them nor starve writes.

use sea_orm::{ConnectionTrait, Database};
use serde_json::json;
use tests::{SERVER_URL, TestApp, ok, spawn_app, spawn_app_with};

const HOME: &str = "{ me { email
    healthAssessments(first: 10) { edges { node { id riskLevel } } }
    chatSessions(first: 10) { edges { node { id messages(first: 10) { edges { node { content } } } } } }
} }";

const CREATE_BMI: &str = "mutation($input: CreateHealthAssessmentInput!) {
    createHealthAssessment(input: $input) { assessment { id } } }";

async fn home(app: &TestApp, token: &str) -> serde_json::Value {
    ok(&app.graphql_as(Some(token), HOME, json!({})).await).clone()
}

#[tokio::test]
async fn reads_go_on_at_once_after_the_database_ended_their_connections() {
    let app = spawn_app().await;
    let user = app.create_user("kept@example.com").await;
    let token = app.sign_in(&user).await;
    let before = home(&app, &token).await;
    assert_eq!(before["me"]["email"], "kept@example.com");

    // Every connection of the server's database ends (a restart, a failover, an operator),
    // while the server keeps the ones its reads used.
    let admin = Database::connect(format!("{SERVER_URL}/postgres"))
        .await
        .unwrap();
    let ended = admin
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{}'",
                app.db_name
            ),
        ))
        .await
        .unwrap();
    assert!(!ended.is_empty(), "the server had connections to end");

    // The very next request is answered, not failed: the read is repeated on a new connection.
    let after = home(&app, &token).await;
    assert_eq!(after, before);
    admin.close().await.unwrap();
}

#[tokio::test]
async fn a_one_connection_pool_serves_concurrent_reads_and_writes() {
    // One connection per pool: kept read connections must never be what a write waits for.
    let app = spawn_app_with(|s| s.database.db_pool_size = 1).await;
    let user = app.create_user("busy@example.com").await;
    let token = app.sign_in(&user).await;
    let requests = (0..24).map(|i| {
        let (app, token) = (&app, token.clone());
        async move {
            if i % 3 == 0 {
                let input = json!({ "input": { "bmi": { "heightCm": 175, "weightKg": 60 + i } } });
                let response = app.graphql_as(Some(&token), CREATE_BMI, input).await;
                ok(&response)["createHealthAssessment"]["assessment"]["id"].clone()
            } else {
                home(app, &token).await["me"]["email"].clone()
            }
        }
    });
    let answers = futures_util::future::join_all(requests).await;
    assert!(answers.iter().all(|a| !a.is_null()), "{answers:?}");
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM health_assessments")
            .await,
        8,
        "every write landed"
    );
    // And what was written is what the next read sees.
    let latest = home(&app, &token).await;
    assert_eq!(
        latest["me"]["healthAssessments"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        8
    );
}
