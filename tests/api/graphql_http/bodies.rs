//! Request bodies: over the limit, a configurable limit, stalled and slow but steady bodies.

use super::*;

#[tokio::test]
async fn a_body_over_the_limit_is_refused_and_the_server_keeps_serving() {
    let app = spawn_app().await;
    let padding = "x".repeat(10 * 1024 * 1024);
    let body =
        json!({ "query": "{ __typename }", "variables": { "padding": padding } }).to_string();
    let response = post_raw(&app, Some("application/json"), None, body).await;
    assert_request_error(&response, 413, "10 MB body");
    assert!(
        response.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("exceeds")
    );

    let response = app.graphql("{ __typename }", json!({})).await;
    assert_eq!(response.status, 200);
}

#[tokio::test]
async fn the_body_limit_is_configurable() {
    let app = tests::spawn_app_with(|s| s.graphql.graphql_body_limit = 64).await;
    let small = post_raw(
        &app,
        Some("application/json"),
        None,
        r#"{"query":"{ __typename }"}"#,
    )
    .await;
    assert_eq!(small.status, 200);
    let large = post_raw(
        &app,
        Some("application/json"),
        None,
        format!(
            r#"{{"query":"{{ __typename }}","x":"{}"}}"#,
            "y".repeat(100)
        ),
    )
    .await;
    assert_request_error(&large, 413, "over a 64-byte limit");
}

#[tokio::test]
async fn a_stalled_body_is_answered_408_and_its_connection_closed() {
    let app = spawn_app_with(|s| {
        s.graphql.body_idle_timeout_secs = 1;
        s.graphql.body_min_bytes_per_sec = 1000;
    })
    .await;
    // One byte of a promised 1,000, then nothing: the idle timeout.
    let mut head = post_head(1000);
    head = head.replace("Connection: close\r\n", "");
    let answer = raw_exchange(&app, &head, &[(0, "{")]).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");

    // A byte every 300 ms is never idle for a second, but 1,000 bytes at 1,000 B/s plus the
    // second of grace is 2 s: the total deadline.
    let drip: Vec<(u64, &str)> = (0..20).map(|_| (300, " ")).collect();
    let started = std::time::Instant::now();
    let answer = raw_exchange(&app, &post_head(1000), &drip).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(6),
        "the deadline, not the drip's end"
    );

    // The server still answers others.
    let response = app.graphql("{ __typename }", json!({})).await;
    assert_eq!(response.data()["__typename"], "Query");
}

#[tokio::test]
async fn a_slow_but_steady_body_is_answered() {
    let app = spawn_app_with(|s| {
        s.graphql.body_idle_timeout_secs = 1;
        s.graphql.body_min_bytes_per_sec = 10;
    })
    .await;
    let body = r#"{"query": "{ __typename }"}                  "#;
    // Four pieces 600 ms apart: 1.8 s in all, never a second idle, within 1 s + 46 B at 10 B/s.
    let pieces: Vec<(u64, &str)> = vec![
        (600, &body[..10]),
        (600, &body[10..20]),
        (600, &body[20..30]),
        (600, &body[30..]),
    ];
    let answer = raw_exchange(&app, &post_head(body.len()), &pieces).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#""__typename":"Query""#), "{answer}");
}
