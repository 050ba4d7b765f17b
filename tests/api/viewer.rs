//! Bearer tokens resolve to the caller through user_sessions.

use serde_json::json;
use tests::spawn_app;

const ME: &str = "{ me { id email firstName sessions { edges { node { isCurrent } } } } }";

#[tokio::test]
async fn me_is_the_user_behind_a_valid_token() {
    let app = spawn_app().await;
    let user = app.create_user("Ada@Example.com").await;
    let token = app.sign_in(&user).await;

    let response = app.graphql_as(Some(&token), ME, json!({})).await;
    assert_eq!(response.status, 200, "{:?}", response.body);
    let me = &response.data()["me"];
    assert_eq!(me["id"], user.id.to_string());
    assert_eq!(me["email"], "ada@example.com");
    assert_eq!(me["sessions"]["edges"][0]["node"]["isCurrent"], true);
}

#[tokio::test]
async fn the_database_holds_the_token_hash_not_the_token() {
    let app = spawn_app().await;
    let user = app.create_user("hash@example.com").await;
    let token = app.sign_in(&user).await;

    let stored = app
        .scalar_i64(&format!(
            "SELECT count(*) FROM user_sessions WHERE session_token = '{token}'"
        ))
        .await;
    assert_eq!(stored, 0, "the raw token must not be stored");
    let hashed = api::auth::token::hash(&token);
    assert_eq!(hashed.len(), 64);
    let stored = app
        .scalar_i64(&format!(
            "SELECT count(*) FROM user_sessions WHERE session_token = '{hashed}'"
        ))
        .await;
    assert_eq!(stored, 1);
}

#[tokio::test]
async fn me_is_null_without_a_usable_token() {
    let app = spawn_app().await;
    let user = app.create_user("gone@example.com").await;
    let expired = app.sign_in(&user).await;
    let revoked = app.sign_in(&user).await;
    let inactive_user = app.create_user("inactive@example.com").await;
    let of_inactive_user = app.sign_in(&inactive_user).await;
    app.execute(&format!(
        "UPDATE user_sessions SET expires_at = now() - interval '1 second' WHERE session_token = '{}'",
        api::auth::token::hash(&expired)
    ))
    .await;
    app.execute(&format!(
        "UPDATE user_sessions SET is_active = false WHERE session_token = '{}'",
        api::auth::token::hash(&revoked)
    ))
    .await;
    app.execute(&format!(
        "UPDATE users SET is_active = false WHERE id = {}",
        inactive_user.id
    ))
    .await;

    let cases = [
        ("no token", None),
        ("expired", Some(expired.as_str())),
        ("revoked", Some(revoked.as_str())),
        ("deactivated account", Some(of_inactive_user.as_str())),
        ("unknown", Some("not-a-token-we-issued")),
    ];
    for (case, token) in cases {
        let response = app.graphql_as(token, "{ me { id } }", json!({})).await;
        assert_eq!(response.status, 200, "{case}: {:?}", response.body);
        assert_eq!(response.data()["me"], serde_json::Value::Null, "{case}");
        assert!(
            response.body.get("errors").is_none(),
            "{case}: me is not an error"
        );

        let response = app
            .graphql_as(token, "{ currentSession { id } }", json!({}))
            .await;
        assert_eq!(
            response.error_codes(),
            ["UNAUTHENTICATED"],
            "{case}: {:?}",
            response.body
        );
    }
}

#[tokio::test]
async fn a_malformed_authorization_header_is_no_caller() {
    let app = spawn_app().await;
    for header in ["Basic dXNlcjpwYXNz", "Bearer", "token-without-scheme"] {
        let response = app
            .client
            .post(format!("{}/graphql", app.address))
            .header("content-type", "application/json")
            .header("authorization", header)
            .body(r#"{"query":"{ me { id } }"}"#)
            .send()
            .await
            .unwrap();
        let response = tests::read_gql(response).await;
        assert_eq!(response.status, 200);
        assert_eq!(response.data()["me"], serde_json::Value::Null, "{header}");
    }
}

#[tokio::test]
async fn last_activity_is_refreshed_at_most_once_a_minute() {
    // No job workers: their polling would add statements to the count.
    let app = tests::spawn_app_with(|s| s.jobs.job_workers = 0).await;
    let user = app.create_user("active@example.com").await;
    let token = app.sign_in(&user).await;
    let hash = api::auth::token::hash(&token);
    app.execute(&format!(
        "UPDATE user_sessions SET last_activity = now() - interval '5 minutes' WHERE session_token = '{hash}'"
    ))
    .await;
    let age_sql = format!(
        "SELECT (extract(epoch FROM now() - last_activity) * 1000000)::bigint FROM user_sessions \
         WHERE session_token = '{hash}'"
    );

    app.graphql_as(Some(&token), "{ me { id } }", json!({}))
        .await;
    let after_first = app.scalar_i64(&age_sql).await;
    assert!(
        after_first < 60_000_000,
        "a stale last_activity is refreshed: {after_first} µs old"
    );

    let before = app.statements();
    let response = app
        .graphql_as(
            Some(&token),
            "{ currentSession { lastActivity } }",
            json!({}),
        )
        .await;
    assert!(response.body.get("errors").is_none(), "{:?}", response.body);
    assert_eq!(
        app.statements() - before,
        0,
        "a fresh session kept by this server costs no lookup and no update"
    );
    let after_second = app.scalar_i64(&age_sql).await;
    assert!(
        after_second >= after_first,
        "no second write within the minute"
    );
}
