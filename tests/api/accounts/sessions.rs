//! Device sessions: several devices, revoking one, idle and absolute expiry, deactivated accounts.

use super::*;

#[tokio::test]
async fn two_devices_and_revoking_one() {
    let app = spawn_app().await;
    let email = "two@example.com";
    let phone = sign_up(&app, email).await;
    let laptop = ok(&login(&app, email, PASSWORD).await)["login"]["token"]
        .as_str()
        .unwrap()
        .to_owned();

    let me = app.graphql_as(Some(&phone), ME, json!({})).await;
    let sessions = &ok(&me)["me"]["sessions"];
    assert_eq!(sessions["totalCount"], 2);
    let laptop_id = sessions["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["isCurrent"] == false)
        .unwrap()["node"]["id"]
        .clone();

    // Another user cannot touch it: NOT_FOUND, and it keeps working.
    let other = sign_up(&app, "other@example.com").await;
    let revoke = "mutation($id: ID!) { revokeSession(id: $id) { revokedCount } }";
    let response = app
        .graphql_as(Some(&other), revoke, json!({ "id": laptop_id }))
        .await;
    assert_eq!(response.error_codes(), ["NOT_FOUND"]);
    assert_eq!(
        ok(&app.graphql_as(Some(&laptop), ME, json!({})).await)["me"]["email"],
        email
    );

    let response = app
        .graphql_as(Some(&phone), revoke, json!({ "id": laptop_id }))
        .await;
    assert_eq!(ok(&response)["revokeSession"]["revokedCount"], 1);
    assert_eq!(
        ok(&app.graphql_as(Some(&laptop), ME, json!({})).await)["me"],
        Value::Null
    );
    assert_eq!(
        ok(&app.graphql_as(Some(&phone), ME, json!({})).await)["me"]["sessions"]["totalCount"],
        1
    );

    // Revoking an already revoked session, or nonsense ids: NOT_FOUND.
    for id in [laptop_id.clone(), json!("999999"), json!("abc")] {
        let response = app
            .graphql_as(Some(&phone), revoke, json!({ "id": id }))
            .await;
        assert_eq!(response.error_codes(), ["NOT_FOUND"], "{id}");
    }

    let third = ok(&login(&app, email, PASSWORD).await)["login"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = app
        .graphql_as(
            Some(&phone),
            "mutation { revokeOtherSessions { revokedCount } }",
            json!({}),
        )
        .await;
    assert_eq!(ok(&response)["revokeOtherSessions"]["revokedCount"], 1);
    assert_eq!(
        ok(&app.graphql_as(Some(&third), ME, json!({})).await)["me"],
        Value::Null
    );
    assert_eq!(
        ok(&app.graphql_as(Some(&phone), ME, json!({})).await)["me"]["email"],
        email
    );
}

#[tokio::test]
async fn sessions_end_after_idle_time_and_at_their_absolute_expiry() {
    let app = spawn_app().await;
    let email = "idle@example.com";
    let token = sign_up(&app, email).await;
    app.clock.advance(Duration::minutes(29));
    assert_eq!(
        ok(&app.graphql_as(Some(&token), ME, json!({})).await)["me"]["email"],
        email
    );
    app.clock.advance(Duration::minutes(31));
    assert_eq!(
        ok(&app.graphql_as(Some(&token), ME, json!({})).await)["me"],
        Value::Null,
        "idle for 31 minutes"
    );

    // A remembered device idles out after days, not minutes, but ends at 30 days regardless.
    let response = app
        .graphql(
            LOGIN,
            json!({ "email": email, "password": PASSWORD, "device": { "rememberDevice": true } }),
        )
        .await;
    let remembered = ok(&response)["login"]["token"].as_str().unwrap().to_owned();
    for _ in 0..4 {
        app.clock.advance(Duration::days(6));
        assert_eq!(
            ok(&app.graphql_as(Some(&remembered), ME, json!({})).await)["me"]["email"],
            email
        );
    }
    // Day 30 and a minute: used every six days, never idle, but past its absolute lifetime.
    app.clock.advance(Duration::days(6) + Duration::minutes(1));
    assert_eq!(
        ok(&app.graphql_as(Some(&remembered), ME, json!({})).await)["me"],
        Value::Null,
        "past 30 days"
    );
}

#[tokio::test]
async fn inactive_users_cannot_sign_in_and_their_sessions_stop() {
    let app = spawn_app().await;
    let email = "inactive@example.com";
    let token = sign_up(&app, email).await;
    app.execute("UPDATE users SET is_active = false").await;
    assert_eq!(
        ok(&app.graphql_as(Some(&token), ME, json!({})).await)["me"],
        Value::Null
    );
    assert_eq!(
        login(&app, email, PASSWORD).await.error_codes(),
        ["UNAUTHENTICATED"]
    );
    app.clock.advance(Duration::seconds(61));
    ok(&request_code(&app, email, "LOGIN").await);
    assert_eq!(
        app.settled_mail_count(email).await,
        1,
        "no login code for an inactive account"
    );
}
