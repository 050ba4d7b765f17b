//! Password reset by mailed token, and changing the password.

use super::*;

#[tokio::test]
async fn password_reset_through_the_mailed_token() {
    let app = spawn_app().await;
    let email = "reset@example.com";
    let old_session = sign_up(&app, email).await;
    let reset = "mutation($email: String!) { requestPasswordReset(email: $email) { accepted } }";
    ok(&app.graphql(reset, json!({ "email": email })).await);
    let mail = app.mail.wait_for(email, 2).await;
    let token = mail.reset_token().expect("a token in the mail");
    assert!(token.len() >= 22, "at least 128 bits");
    assert_eq!(
        count(
            &app,
            &format!("SELECT count(*) FROM password_reset_tokens WHERE token = '{token}'")
        )
        .await,
        0,
        "stored hashed"
    );

    let apply = "mutation($token: String!, $password: String!) { resetPassword(input: { token: $token, newPassword: $password }) { accepted } }";
    let weak = app
        .graphql(apply, json!({ "token": token, "password": "password1" }))
        .await;
    assert_eq!(error_field(&weak), Some("newPassword"));
    ok(&login(&app, email, PASSWORD).await); // unchanged so far; this opens a second session

    let response = app
        .graphql(apply, json!({ "token": token, "password": NEW_PASSWORD }))
        .await;
    assert_eq!(ok(&response)["resetPassword"]["accepted"], true);
    assert_eq!(
        ok(&app.graphql_as(Some(&old_session), ME, json!({})).await)["me"],
        Value::Null,
        "every session ended"
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM user_sessions WHERE is_active").await,
        0,
        "and no new one"
    );
    assert_eq!(
        login(&app, email, PASSWORD).await.error_codes(),
        ["UNAUTHENTICATED"]
    );
    ok(&login(&app, email, NEW_PASSWORD).await);
    let notice = app.mail.wait_for(email, 3).await;
    assert_eq!(notice.subject(), "Your Echo Health password was changed");

    let reused = app
        .graphql(
            apply,
            json!({ "token": token, "password": "another fine passphrase" }),
        )
        .await;
    assert_eq!(error_field(&reused), Some("token"));

    // An expired token.
    app.clock.advance(Duration::seconds(61));
    ok(&app.graphql(reset, json!({ "email": email })).await);
    let token = app.mail.wait_for(email, 4).await.reset_token().unwrap();
    app.clock.advance(Duration::minutes(61));
    let expired = app
        .graphql(
            apply,
            json!({ "token": token, "password": "another fine passphrase" }),
        )
        .await;
    assert_eq!(error_field(&expired), Some("token"));
    ok(&login(&app, email, NEW_PASSWORD).await);
}

#[tokio::test]
async fn changing_the_password_keeps_only_this_session() {
    let app = spawn_app().await;
    let email = "change@example.com";
    let here = sign_up(&app, email).await;
    let elsewhere = ok(&login(&app, email, PASSWORD).await)["login"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let change = "mutation($current: String!, $new: String!) { changePassword(input: { currentPassword: $current, newPassword: $new }) { revokedCount } }";

    let wrong = app
        .graphql_as(
            Some(&here),
            change,
            json!({ "current": "not it at all", "new": NEW_PASSWORD }),
        )
        .await;
    assert_eq!(error_field(&wrong), Some("currentPassword"));
    let weak = app
        .graphql_as(
            Some(&here),
            change,
            json!({ "current": PASSWORD, "new": "12345678" }),
        )
        .await;
    assert_eq!(error_field(&weak), Some("newPassword"));
    assert_eq!(
        ok(&app.graphql_as(Some(&elsewhere), ME, json!({})).await)["me"]["email"],
        email,
        "nothing changed yet"
    );

    let response = app
        .graphql_as(
            Some(&here),
            change,
            json!({ "current": PASSWORD, "new": NEW_PASSWORD }),
        )
        .await;
    assert_eq!(ok(&response)["changePassword"]["revokedCount"], 1);
    assert_eq!(
        ok(&app.graphql_as(Some(&here), ME, json!({})).await)["me"]["email"],
        email
    );
    assert_eq!(
        ok(&app.graphql_as(Some(&elsewhere), ME, json!({})).await)["me"],
        Value::Null
    );
    ok(&login(&app, email, NEW_PASSWORD).await);
    let notice = app.mail.wait_for(email, 2).await;
    assert_eq!(notice.subject(), "Your Echo Health password was changed");
}
