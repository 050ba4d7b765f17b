//! `/healthz` and `/readyz`.

use std::time::Duration;

use sea_orm::{ConnectionTrait, Database};
use tests::{SERVER_URL, spawn_app};

#[tokio::test]
async fn healthz_answers_ok() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("x-request-id"));
}

async fn readyz_status(app: &tests::TestApp) -> u16 {
    app.client
        .get(format!("{}/readyz", app.address))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn readyz_follows_the_database_without_a_restart() {
    let app = spawn_app().await;
    assert_eq!(readyz_status(&app).await, 200);

    // Make the database unreachable: refuse new connections and end the existing ones.
    let admin = Database::connect(format!("{SERVER_URL}/postgres"))
        .await
        .unwrap();
    let name = &app.db_name;
    admin
        .execute_unprepared(&format!(
            "ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false"
        ))
        .await
        .unwrap();
    admin
        .execute_unprepared(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
        ))
        .await
        .unwrap();
    assert_eq!(readyz_status(&app).await, 503);

    admin
        .execute_unprepared(&format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true"))
        .await
        .unwrap();
    // The pool reconnects on its own; give it a few tries rather than a fixed sleep.
    let mut status = 0;
    for _ in 0..50 {
        status = readyz_status(&app).await;
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        status, 200,
        "/readyz should recover once the database is back"
    );
    // And the API itself works again.
    let response = app.graphql("{ __typename }", serde_json::json!({})).await;
    assert_eq!(response.data()["__typename"], "Query");
}

#[tokio::test]
async fn metrics_count_operations_errors_pool_and_queue() {
    let app =
        tests::spawn_app_with(|s| s.server.metrics_token = Some("scrape-secret".into())).await;
    let refused = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let query =
        serde_json::json!({ "query": "query Home { __typename }", "operationName": "Home" });
    for _ in 0..3 {
        app.client
            .post(format!("{}/graphql", app.address))
            .json(&query)
            .send()
            .await
            .unwrap();
    }
    app.graphql("{ me { email } nope }", serde_json::json!({}))
        .await;
    app.execute("INSERT INTO jobs (kind, payload, run_at, created_at, updated_at) VALUES ('analyze_report', '{}', now() + interval '1 day', now(), now())").await;
    let text = app.metrics("scrape-secret").await;
    for line in [
        "echo_graphql_requests_total{operation=\"Home\"} 3",
        "echo_graphql_requests_total{operation=\"anonymous\"} 1",
        "echo_graphql_errors_total{code=\"BAD_USER_INPUT\"} 1",
        "echo_jobs{status=\"queued\"} 1",
        "echo_chat_subscribers 0",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }
    assert!(text.contains("echo_graphql_request_duration_seconds_bucket{operation=\"Home\""));
    assert!(text.contains("echo_db_pool_connections{state=\"open\"}"));
    // The worker has been looking for jobs (it polls every 50 ms in tests).
    let polls = text
        .lines()
        .find_map(|l| l.strip_prefix("echo_job_polls_total "))
        .and_then(|n| n.parse::<u64>().ok());
    assert!(polls.is_some_and(|n| n > 0), "{text}");
}
