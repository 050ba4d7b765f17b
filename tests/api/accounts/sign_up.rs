//! Signing up with an emailed code, and what a sign-up refuses.

use super::*;

#[tokio::test]
async fn sign_up_from_code_to_me_to_logout() {
    let app = spawn_app().await;
    let email = "ada@example.com";
    let answer = request_code(&app, "  Ada@Example.com ", "REGISTRATION").await;
    assert_eq!(
        ok(&answer)["requestEmailOtp"],
        json!({ "codeExpiresInSeconds": 600, "retryAfterSeconds": 60 })
    );
    let mail = app.mail.wait_for(email, 1).await;
    assert_eq!(mail.subject(), "Your Echo Health code");
    assert!(mail.text().contains("expires in 10 minutes"));
    let code = mail.code().unwrap();

    // The database keeps a keyed hash, not the code.
    let stored = count(
        &app,
        &format!("SELECT count(*) FROM otp_verifications WHERE otp_code = '{code}'"),
    )
    .await;
    assert_eq!(stored, 0);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM otp_verifications WHERE length(otp_code) = 64"
        )
        .await,
        1
    );

    let response = app
        .graphql(REGISTER, registration("ADA@example.com", &code))
        .await;
    let registered = &ok(&response)["register"];
    assert_eq!(registered["user"]["email"], email);
    assert_eq!(registered["user"]["isVerified"], true);
    assert_eq!(registered["session"]["isCurrent"], true);
    assert_eq!(registered["session"]["ipAddress"], "127.0.0.1");
    assert_eq!(registered["session"]["deviceInfo"]["name"], "Ada's phone");
    let token = registered["token"].as_str().unwrap();
    assert_eq!(token.len(), 43, "256-bit token");

    let phc: String = {
        let row = app
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                "SELECT password_hash FROM users",
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index(0).unwrap()
    };
    assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");

    let me = app.graphql_as(Some(token), ME, json!({})).await;
    assert_eq!(ok(&me)["me"]["email"], email);

    let out = app
        .graphql_as(
            Some(token),
            "mutation { logout { revokedCount } }",
            json!({}),
        )
        .await;
    assert_eq!(ok(&out)["logout"]["revokedCount"], 1);
    let me = app.graphql_as(Some(token), ME, json!({})).await;
    assert_eq!(
        ok(&me)["me"],
        Value::Null,
        "a revoked session is useless at once"
    );

    let events = count(&app, "SELECT count(*) FROM audit_events WHERE event_type IN ('otp_sent', 'account_registered', 'sign_in_succeeded', 'session_revoked')").await;
    assert_eq!(events, 4);
}

#[tokio::test]
async fn weak_passwords_and_malformed_profiles_are_refused_naming_the_field() {
    let app = spawn_app().await;
    let email = "weak@example.com";
    let code = mailed_code(&app, email, "REGISTRATION", 1).await;
    let cases = [
        (json!({ "password": "password123" }), "password"),
        (json!({ "password": "short" }), "password"),
        (json!({ "password": "x".repeat(129) }), "password"),
        (json!({ "firstName": "" }), "firstName"),
        (json!({ "lastName": "x".repeat(101) }), "lastName"),
        (json!({ "phoneNumber": "0151 1234" }), "phoneNumber"),
        (json!({ "dateOfBirth": "2999-01-01" }), "dateOfBirth"),
        (json!({ "dateOfBirth": "1801-01-01" }), "dateOfBirth"),
        (json!({ "email": "not-an-email" }), "email"),
        (
            json!({ "device": { "info": { "blob": "x".repeat(2000) } } }),
            "device.info",
        ),
        (json!({ "device": { "info": [1, 2] } }), "device.info"),
    ];
    for (change, field) in cases {
        let mut variables = registration(email, &code);
        for (key, value) in change.as_object().unwrap() {
            variables["input"][key] = value.clone();
        }
        let response = app.graphql(REGISTER, variables).await;
        assert_eq!(response.error_codes(), ["BAD_USER_INPUT"], "{change}");
        assert_eq!(error_field(&response), Some(field), "{change}");
    }
    let response = app.graphql(REGISTER, json!({ "input": { "email": email, "code": code, "password": PASSWORD, "firstName": "A", "lastName": "B", "dateOfBirth": "yesterday" } })).await;
    assert_eq!(response.error_codes(), ["BAD_USER_INPUT"], "not a date");
    assert_eq!(count(&app, "SELECT count(*) FROM users").await, 0);
    // The code survived all of it.
    let mut variables = registration(email, &code);
    variables["input"]["phoneNumber"] = json!("+49 151 1234 5678");
    variables["input"]["gender"] = json!("NON_BINARY");
    ok(&app.graphql(REGISTER, variables).await);
}
