//! The session cache (docs/auth.md, "The session cache"): a caller seen a moment ago costs no
//! statement, and every change to an account or its sessions, made by this server, by
//! another one or by hand in SQL, is seen by the next request.

use serde_json::json;
use tests::{TestApp, ok, spawn_app_with};

const ME: &str = "{ me { id firstName role } }";

/// `{ me }` as `token` (null when the token no longer works) and the statements it cost.
async fn me(app: &TestApp, token: &str) -> (serde_json::Value, u64) {
    let before = app.statements();
    let response = app.graphql_as(Some(token), ME, json!({})).await;
    let cost = app.statements() - before;
    (ok(&response)["me"].clone(), cost)
}

/// A server whose statements are all requests' (no job workers polling).
async fn quiet_app() -> TestApp {
    spawn_app_with(|s| s.jobs.job_workers = 0).await
}

async fn admin_token(app: &TestApp) -> String {
    let admin = app
        .create_user_as("root@example.com", "admin", "Ada", "Root")
        .await;
    app.sign_in(&admin).await
}

#[tokio::test]
async fn a_caller_seen_a_moment_ago_costs_no_statement_and_signing_out_ends_it_at_once() {
    let app = quiet_app().await;
    let user = app.create_user("kept@example.com").await;
    let token = app.sign_in(&user).await;

    let (first, first_cost) = me(&app, &token).await;
    assert_eq!(first["id"], user.id.to_string());
    assert_eq!(first_cost, 1, "the first request looks the token up");
    let (second, second_cost) = me(&app, &token).await;
    assert_eq!(second, first);
    assert_eq!(second_cost, 0, "the second comes from memory");

    // Signing out is answered, and the very next request (no wait for any notice) is refused.
    let response = app
        .graphql_as(
            Some(&token),
            "mutation { logout { revokedCount } }",
            json!({}),
        )
        .await;
    assert_eq!(ok(&response)["logout"]["revokedCount"], 1);
    let (after, _) = me(&app, &token).await;
    assert_eq!(after, serde_json::Value::Null);
}

#[tokio::test]
async fn without_a_cache_every_request_looks_its_token_up() {
    let app = spawn_app_with(|s| {
        s.jobs.job_workers = 0;
        s.accounts.session_cache_size = 0;
    })
    .await;
    let user = app.create_user("uncached@example.com").await;
    let token = app.sign_in(&user).await;
    for _ in 0..3 {
        let (me, cost) = me(&app, &token).await;
        assert_eq!(me["id"], user.id.to_string());
        assert_eq!(cost, 1);
    }
}

#[tokio::test]
async fn changes_made_on_another_server_reach_this_one() {
    let app = quiet_app().await;
    let other = app.another_server(|s| s.jobs.job_workers = 0).await;
    let admin = admin_token(&app).await;
    let user = app
        .create_user_as("moving@example.com", "user", "Mo", "Ving")
        .await;
    let phone = app.sign_in(&user).await;
    let laptop = app.sign_in(&user).await;

    // Both tokens kept by the other server.
    for token in [&phone, &laptop] {
        me(&other, token).await;
        let (_, cost) = me(&other, token).await;
        assert_eq!(cost, 0, "kept by the other server");
    }

    // A profile change on this server: the other one answers with the new name.
    let rename =
        "mutation { updateProfile(input: { firstName: \"Moira\" }) { user { firstName } } }";
    ok(&app.graphql_as(Some(&phone), rename, json!({})).await);
    other.auth_changes_heard().await;
    let (renamed, cost) = me(&other, &phone).await;
    assert_eq!(renamed["firstName"], "Moira");
    assert_eq!(cost, 1, "read again after the notice");

    // A role given by an admin here is in force there.
    let set_role = "mutation($id: ID!, $role: Role!) { setUserRole(id: $id, role: $role) { account { role } } }";
    let variables = json!({ "id": user.id.to_string(), "role": "CLINICIAN" });
    ok(&app.graphql_as(Some(&admin), set_role, variables).await);
    other.auth_changes_heard().await;
    let (promoted, _) = me(&other, &laptop).await;
    assert_eq!(promoted["role"], "CLINICIAN");

    // Signing out the other devices here ends the laptop's token there.
    me(&other, &laptop).await;
    let response = app
        .graphql_as(
            Some(&phone),
            "mutation { revokeOtherSessions { revokedCount } }",
            json!({}),
        )
        .await;
    assert_eq!(ok(&response)["revokeOtherSessions"]["revokedCount"], 1);
    other.auth_changes_heard().await;
    assert_eq!(me(&other, &laptop).await.0, serde_json::Value::Null);
    assert_ne!(me(&other, &phone).await.0, serde_json::Value::Null);

    // An admin's deactivation here ends the last token there.
    let deactivate = "mutation($id: ID!) { deactivateUser(id: $id) { account { isActive } } }";
    let variables = json!({ "id": user.id.to_string() });
    ok(&app.graphql_as(Some(&admin), deactivate, variables).await);
    other.auth_changes_heard().await;
    assert_eq!(me(&other, &phone).await.0, serde_json::Value::Null);
}

#[tokio::test]
async fn a_change_made_by_hand_in_sql_is_heard_too() {
    let app = quiet_app().await;
    let user = app.create_user("by-hand@example.com").await;
    let token = app.sign_in(&user).await;
    me(&app, &token).await;
    assert_eq!(me(&app, &token).await.1, 0, "kept");

    // Not through this server: only the database's trigger can tell it.
    app.execute(&format!(
        "UPDATE user_sessions SET is_active = false WHERE session_token = '{}'",
        api::auth::token::hash(&token)
    ))
    .await;
    assert_eq!(me(&app, &token).await.0, serde_json::Value::Null);
}

#[tokio::test]
async fn a_lost_listen_connection_empties_the_cache_and_listening_again_refills_it() {
    let app = quiet_app().await;
    let user = app.create_user("listener@example.com").await;
    let token = app.sign_in(&user).await;
    me(&app, &token).await;
    assert_eq!(app.state.services.session_cache.len(), 1);

    // The server's LISTEN connection is the one session of this database that listens.
    let ended = app
        .scalar_i64(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE datname = current_database() AND query ILIKE 'LISTEN%'",
        )
        .await;
    assert_eq!(ended, 1, "one LISTEN connection");
    // Whatever was kept is gone once the loss is noticed, and the connection comes back: a
    // barrier is heard again, and callers are kept again.
    app.auth_changes_heard().await;
    assert_eq!(app.state.services.session_cache.len(), 0);
    let (again, cost) = me(&app, &token).await;
    assert_eq!(again["id"], user.id.to_string());
    assert_eq!(cost, 1);
    // On again once the new connection has heard its probe: callers are kept again.
    let cache = &app.state.services.session_cache;
    for _ in 0..1000 {
        if cache.is_on() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(cache.is_on(), "the cache came back on");
    me(&app, &token).await;
    assert_eq!(me(&app, &token).await.1, 0, "kept again");
}
