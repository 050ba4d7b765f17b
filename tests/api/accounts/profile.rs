//! The profile, the email address and deleting the account.

use super::*;

#[tokio::test]
async fn profile_updates_are_validated_and_partial() {
    let app = spawn_app().await;
    let token = sign_up(&app, "profile@example.com").await;
    let update = "mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { user { firstName lastName phoneNumber dateOfBirth gender } } }";
    let response = app.graphql_as(Some(&token), update, json!({ "input": { "firstName": " Augusta ", "phoneNumber": "+44 20 7946 0958", "dateOfBirth": "1815-12-10" } })).await;
    assert_eq!(error_field(&response), Some("dateOfBirth"));
    let response = app.graphql_as(Some(&token), update, json!({ "input": { "firstName": " Augusta ", "phoneNumber": "+44 20 7946 0958", "gender": "FEMALE" } })).await;
    let user = &ok(&response)["updateProfile"]["user"];
    assert_eq!(user["firstName"], "Augusta");
    assert_eq!(user["lastName"], "Lovelace", "untouched");
    assert_eq!(user["phoneNumber"], "+442079460958");
    assert_eq!(user["gender"], "FEMALE");
    let response = app
        .graphql_as(
            Some(&token),
            update,
            json!({ "input": { "phoneNumber": null } }),
        )
        .await;
    assert_eq!(
        ok(&response)["updateProfile"]["user"]["phoneNumber"],
        Value::Null,
        "null clears"
    );
    for (input, field) in [
        (json!({ "lastName": "" }), "lastName"),
        (json!({ "phoneNumber": "12" }), "phoneNumber"),
    ] {
        let response = app
            .graphql_as(Some(&token), update, json!({ "input": input }))
            .await;
        assert_eq!(error_field(&response), Some(field));
    }
    let anonymous = app
        .graphql(update, json!({ "input": { "firstName": "X" } }))
        .await;
    assert_eq!(anonymous.error_codes(), ["UNAUTHENTICATED"]);
}

#[tokio::test]
async fn changing_the_email_needs_the_new_address_code_and_the_password() {
    let app = spawn_app().await;
    let old = "old@example.com";
    let new = "new@example.com";
    let token = sign_up(&app, old).await;
    let anonymous = request_code(&app, new, "EMAIL_CHANGE").await;
    assert_eq!(anonymous.error_codes(), ["UNAUTHENTICATED"]);
    let asked = app
        .graphql_as(
            Some(&token),
            REQUEST_OTP,
            json!({ "email": new, "purpose": "EMAIL_CHANGE" }),
        )
        .await;
    ok(&asked);
    let code = app.mail.wait_for(new, 1).await.code().unwrap();
    let change = "mutation($email: String!, $code: String!, $password: String!) { changeEmail(input: { newEmail: $email, code: $code, password: $password }) { user { email } } }";
    let wrong_password = app
        .graphql_as(
            Some(&token),
            change,
            json!({ "email": new, "code": code, "password": "nope nope nope" }),
        )
        .await;
    assert_eq!(error_field(&wrong_password), Some("password"));
    let response = app
        .graphql_as(
            Some(&token),
            change,
            json!({ "email": new, "code": code, "password": PASSWORD }),
        )
        .await;
    assert_eq!(ok(&response)["changeEmail"]["user"]["email"], new);
    ok(&login(&app, new, PASSWORD).await);
    assert!(
        app.mail
            .wait_for(old, 2)
            .await
            .subject()
            .contains("email address was changed")
    );
}

#[tokio::test]
async fn deleting_the_account_removes_everything_and_needs_the_password() {
    let app = spawn_app().await;
    let email = "leaving@example.com";
    let token = sign_up(&app, email).await;
    let keeper = sign_up(&app, "staying@example.com").await;
    let id: i64 = count(
        &app,
        "SELECT id::bigint FROM users WHERE email = 'leaving@example.com'",
    )
    .await;
    app.execute(&format!(
        "INSERT INTO health_assessments (user_id, assessment_type, risk_score, risk_level) VALUES ({id}, 'bmi', 22, 'low');
         INSERT INTO medical_reports (user_id, report_type, file_name, file_path, file_size, mime_type) VALUES ({id}, 'other', 'a', '/x', 1, 'text/plain');
         INSERT INTO chat_sessions (user_id) VALUES ({id});
         INSERT INTO chat_messages (session_id, sender_type, message_content) SELECT id, 'user', 'hi' FROM chat_sessions WHERE user_id = {id};
         INSERT INTO app_settings (user_id, setting_key, setting_value) VALUES ({id}, 'theme', 'dark');
         INSERT INTO password_reset_tokens (user_id, token, expires_at) VALUES ({id}, 'x', now());"
    ))
    .await;
    let delete = "mutation($password: String!) { deleteAccount(input: { password: $password }) { accepted } }";
    let wrong = app
        .graphql_as(
            Some(&token),
            delete,
            json!({ "password": "not my password" }),
        )
        .await;
    assert_eq!(error_field(&wrong), Some("password"));
    assert_eq!(
        count(&app, "SELECT count(*) FROM users").await,
        2,
        "nothing deleted"
    );

    ok(&app
        .graphql_as(Some(&token), delete, json!({ "password": PASSWORD }))
        .await);
    for table in [
        "users",
        "health_assessments",
        "medical_reports",
        "chat_sessions",
        "app_settings",
        "password_reset_tokens",
        "user_sessions",
    ] {
        let column = if table == "users" { "id" } else { "user_id" };
        assert_eq!(
            count(
                &app,
                &format!("SELECT count(*) FROM {table} WHERE {column} = {id}")
            )
            .await,
            0,
            "{table}"
        );
    }
    assert_eq!(count(&app, "SELECT count(*) FROM chat_messages").await, 0);
    assert_eq!(
        ok(&app.graphql_as(Some(&token), ME, json!({})).await)["me"],
        Value::Null
    );
    assert_eq!(
        ok(&app.graphql_as(Some(&keeper), ME, json!({})).await)["me"]["email"],
        "staying@example.com"
    );
    assert_eq!(count(&app, &format!("SELECT count(*) FROM audit_events WHERE event_type = 'account_deleted' AND details->>'user_id' = '{id}'")).await, 1);
}
