//! Accounts end to end: codes by real SMTP, sign-up, sign-in, sessions, reset, profile,
//! deletion, and the bad case of every rule, each checking that nothing else changed.

use chrono::Duration;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use tests::{GqlResponse, TestApp, ok, spawn_app};

pub const PASSWORD: &str = "violet tractor sings loudly";
const NEW_PASSWORD: &str = "quiet harbour lantern 42";

const REQUEST_OTP: &str = "mutation($email: String!, $purpose: OtpPurpose!) {
    requestEmailOtp(input: { email: $email, purpose: $purpose }) { codeExpiresInSeconds retryAfterSeconds } }";
const REGISTER: &str = "mutation($input: RegisterInput!) {
    register(input: $input) { token user { id email firstName isVerified } session { id isCurrent ipAddress deviceInfo expiresAt } } }";
const LOGIN: &str = "mutation($email: String!, $password: String!, $device: DeviceInput) {
    login(input: { email: $email, password: $password, device: $device }) { token user { id } session { id expiresAt } } }";
const LOGIN_OTP: &str = "mutation($email: String!, $code: String!) {
    loginWithOtp(input: { email: $email, code: $code }) { token user { id } } }";
const ME: &str = "{ me { id email sessions { totalCount edges { node { id isCurrent } } } } }";

fn error_field(response: &GqlResponse) -> Option<&str> {
    response.body["errors"][0]["extensions"]["field"].as_str()
}

async fn request_code(app: &TestApp, email: &str, purpose: &str) -> GqlResponse {
    app.graphql(REQUEST_OTP, json!({ "email": email, "purpose": purpose }))
        .await
}

/// Asks for a code and reads it from the mail (the `nth` mail to that address).
async fn mailed_code(app: &TestApp, email: &str, purpose: &str, nth: usize) -> String {
    ok(&request_code(app, email, purpose).await);
    app.mail
        .wait_for(email, nth)
        .await
        .code()
        .expect("a code in the mail")
}

fn registration(email: &str, code: &str) -> Value {
    json!({ "input": { "email": email, "code": code, "password": PASSWORD, "firstName": "Ada", "lastName": "Lovelace",
        "device": { "info": { "name": "Ada's phone" } } } })
}

/// Signs up through the real flow; returns the bearer token.
pub async fn sign_up(app: &TestApp, email: &str) -> String {
    let code = mailed_code(app, email, "REGISTRATION", 1).await;
    let response = app.graphql(REGISTER, registration(email, &code)).await;
    ok(&response)["register"]["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn login(app: &TestApp, email: &str, password: &str) -> GqlResponse {
    app.graphql(LOGIN, json!({ "email": email, "password": password }))
        .await
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    app.scalar_i64(sql).await
}

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
async fn wrong_reused_and_expired_codes_create_nothing() {
    let app = spawn_app().await;
    let email = "codes@example.com";
    let code = mailed_code(&app, email, "REGISTRATION", 1).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for bad in [wrong, "12345", "abcdef", ""] {
        let response = app.graphql(REGISTER, registration(email, bad)).await;
        assert_eq!(response.error_codes(), ["BAD_USER_INPUT"], "{bad}");
        assert_eq!(error_field(&response), Some("code"));
    }
    assert_eq!(count(&app, "SELECT count(*) FROM users").await, 0);
    ok(&app.graphql(REGISTER, registration(email, &code)).await);

    // Reused: the code was spent.
    let response = app
        .graphql(REGISTER, registration("codes2@example.com", &code))
        .await;
    assert_eq!(error_field(&response), Some("code"));
    let response = app
        .graphql(LOGIN_OTP, json!({ "email": email, "code": code }))
        .await;
    assert_eq!(response.error_codes(), ["BAD_USER_INPUT"]);

    // Expired: ten minutes and one second later.
    let late = "late@example.com";
    let code = mailed_code(&app, late, "REGISTRATION", 1).await;
    app.clock
        .advance(Duration::minutes(10) + Duration::seconds(1));
    let response = app.graphql(REGISTER, registration(late, &code)).await;
    assert_eq!(error_field(&response), Some("code"));
    assert_eq!(count(&app, "SELECT count(*) FROM users").await, 1);
}

#[tokio::test]
async fn a_code_dies_after_five_wrong_guesses_and_a_new_one_kills_the_old() {
    let app = spawn_app().await;
    let email = "guess@example.com";
    let code = mailed_code(&app, email, "REGISTRATION", 1).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        let response = app.graphql(REGISTER, registration(email, wrong)).await;
        assert_eq!(error_field(&response), Some("code"));
    }
    let response = app.graphql(REGISTER, registration(email, &code)).await;
    assert_eq!(
        error_field(&response),
        Some("code"),
        "the sixth attempt fails even with the right code"
    );
    assert_eq!(count(&app, "SELECT count(*) FROM users").await, 0);

    app.clock.advance(Duration::seconds(61));
    let first = mailed_code(&app, email, "REGISTRATION", 2).await;
    app.clock.advance(Duration::seconds(61));
    let second = mailed_code(&app, email, "REGISTRATION", 3).await;
    if first != second {
        let response = app.graphql(REGISTER, registration(email, &first)).await;
        assert_eq!(
            error_field(&response),
            Some("code"),
            "a newer code kills the older"
        );
    }
    ok(&app.graphql(REGISTER, registration(email, &second)).await);
}

#[tokio::test]
async fn code_requests_are_throttled_per_address() {
    let app = spawn_app().await;
    let email = "busy@example.com";
    ok(&request_code(&app, email, "REGISTRATION").await);
    let response = request_code(&app, email, "REGISTRATION").await;
    assert_eq!(response.error_codes(), ["RATE_LIMITED"]);
    let retry = response.body["errors"][0]["extensions"]["retryAfterSeconds"]
        .as_u64()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // Another address is not affected.
    ok(&request_code(&app, "calm@example.com", "REGISTRATION").await);

    // One a minute, five an hour.
    for _ in 0..4 {
        app.clock.advance(Duration::seconds(61));
        ok(&request_code(&app, email, "REGISTRATION").await);
    }
    app.clock.advance(Duration::seconds(61));
    assert_eq!(
        request_code(&app, email, "REGISTRATION")
            .await
            .error_codes(),
        ["RATE_LIMITED"]
    );
    assert_eq!(app.settled_mail_count(email).await, 5);
    app.clock.advance(Duration::hours(1));
    ok(&request_code(&app, email, "REGISTRATION").await);
}

#[tokio::test]
async fn unknown_and_known_addresses_get_the_same_answers() {
    let app = spawn_app().await;
    let known = "known@example.com";
    sign_up(&app, known).await;
    let unknown = "nobody@example.com";

    for purpose in ["LOGIN", "REGISTRATION"] {
        app.clock.advance(Duration::seconds(61));
        let a = request_code(&app, known, purpose).await;
        let b = request_code(&app, unknown, purpose).await;
        assert_eq!((a.status, &a.body), (b.status, &b.body), "{purpose}");
    }
    let reset = "mutation($email: String!) { requestPasswordReset(email: $email) { accepted } }";
    let a = app.graphql(reset, json!({ "email": known })).await;
    let b = app.graphql(reset, json!({ "email": unknown })).await;
    assert_eq!((a.status, &a.body), (b.status, &b.body));

    let a = login(&app, known, "wrong password entirely").await;
    let b = login(&app, unknown, "wrong password entirely").await;
    assert_eq!((a.status, &a.body), (b.status, &b.body));
    assert_eq!(a.error_codes(), ["UNAUTHENTICATED"]);

    // The owner of the taken address hears of the sign-up attempt; the unknown address only
    // got the registration code it asked for.
    app.mail_drained().await;
    let known_mails = app.mail.messages_to(known);
    assert!(
        known_mails
            .iter()
            .any(|m| m.subject() == "Someone tried to use your email address")
    );
    assert_eq!(app.settled_mail_count(unknown).await, 1);
}

#[tokio::test]
async fn sign_in_failures_are_throttled_and_recorded() {
    let app = spawn_app().await;
    let email = "locked@example.com";
    sign_up(&app, email).await;
    for _ in 0..5 {
        assert_eq!(
            login(&app, email, "not the password at all")
                .await
                .error_codes(),
            ["UNAUTHENTICATED"]
        );
    }
    let response = login(&app, email, PASSWORD).await;
    assert_eq!(
        response.error_codes(),
        ["RATE_LIMITED"],
        "even the right password waits"
    );
    assert!(
        response.body["errors"][0]["extensions"]["retryAfterSeconds"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM audit_events WHERE event_type = 'sign_in_failed'"
        )
        .await,
        5
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM user_sessions").await,
        1,
        "no session was opened"
    );

    app.clock.advance(Duration::minutes(16));
    ok(&login(&app, email, PASSWORD).await);
}

#[tokio::test]
async fn one_request_cannot_multiply_guesses() {
    let app = spawn_app().await;
    let email = "alias@example.com";
    sign_up(&app, email).await;
    let aliased = "mutation { a: login(input: { email: \"alias@example.com\", password: \"guess one!!\" }) { token }
                              b: login(input: { email: \"alias@example.com\", password: \"guess two!!\" }) { token } }";
    let response = app.graphql(aliased, json!({})).await;
    assert_eq!(response.status, 400);
    assert_eq!(response.error_codes(), ["BAD_USER_INPUT"]);
    let through_fragment = "mutation { ...Guess c: loginWithOtp(input: { email: \"alias@example.com\", code: \"123456\" }) { token } }
                            fragment Guess on Mutation { login(input: { email: \"alias@example.com\", password: \"guess\" }) { token } }";
    assert_eq!(app.graphql(through_fragment, json!({})).await.status, 400);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM audit_events WHERE event_type = 'sign_in_failed'"
        )
        .await,
        0,
        "nothing ran"
    );
    // A JSON array (a batch) is not a request.
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("content-type", "application/json")
        .body(json!([{ "query": LOGIN }, { "query": LOGIN }]).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn passwordless_sign_in_with_a_login_code() {
    let app = spawn_app().await;
    let email = "otp@example.com";
    sign_up(&app, email).await;
    app.clock.advance(Duration::seconds(61));
    let code = mailed_code(&app, email, "LOGIN", 2).await;
    let response = app
        .graphql(LOGIN_OTP, json!({ "email": email, "code": code }))
        .await;
    assert!(ok(&response)["loginWithOtp"]["token"].is_string());
    let response = app
        .graphql(LOGIN_OTP, json!({ "email": email, "code": code }))
        .await;
    assert_eq!(error_field(&response), Some("code"), "single use");
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

#[tokio::test]
async fn sign_in_failures_and_mail_requests_are_throttled_per_client_address() {
    let app = spawn_app().await;
    for n in 0..20 {
        let response = login(
            &app,
            &format!("guess{n}@example.com"),
            "some password guess",
        )
        .await;
        assert_eq!(response.error_codes(), ["UNAUTHENTICATED"], "attempt {n}");
    }
    let response = login(&app, "fresh@example.com", "some password guess").await;
    assert_eq!(
        response.error_codes(),
        ["RATE_LIMITED"],
        "the 21st failure from one address in 15 minutes"
    );

    for n in 0..30 {
        ok(&request_code(&app, &format!("new{n}@example.com"), "REGISTRATION").await);
    }
    let response = request_code(&app, "one-more@example.com", "REGISTRATION").await;
    assert_eq!(
        response.error_codes(),
        ["RATE_LIMITED"],
        "the 31st mail from one address in an hour"
    );
    assert_eq!(app.settled_mail_count("one-more@example.com").await, 0);
}

#[tokio::test]
async fn the_client_address_comes_from_a_trusted_proxy_only() {
    let forwarded = |app: &TestApp, token: Option<&str>| {
        let mut request = app
            .client
            .post(format!("{}/graphql", app.address))
            .header("content-type", "application/json")
            .header("x-forwarded-for", "198.51.100.9, 203.0.113.7")
            .header("user-agent", "EchoHealth/1.0 (test)")
            .body(json!({ "query": "{ currentSession { ipAddress deviceInfo } }" }).to_string());
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request
    };
    let direct = spawn_app().await;
    let token = sign_up(&direct, "direct@example.com").await;
    let seen = tests::read_gql(forwarded(&direct, Some(&token)).send().await.unwrap()).await;
    assert_eq!(
        ok(&seen)["currentSession"]["ipAddress"],
        "127.0.0.1",
        "X-Forwarded-For from an untrusted peer is ignored"
    );

    let proxied =
        tests::spawn_app_with(|s| s.trusted_proxies = vec!["127.0.0.1".parse().unwrap()]).await;
    let code = mailed_code(&proxied, "proxied@example.com", "REGISTRATION", 1).await;
    let body =
        json!({ "query": REGISTER, "variables": registration("proxied@example.com", &code) })
            .to_string();
    let response = forwarded(&proxied, None).body(body).send().await.unwrap();
    let registered = tests::read_gql(response).await;
    let session = &ok(&registered)["register"]["session"];
    assert_eq!(
        session["ipAddress"], "203.0.113.7",
        "the nearest address in front of the trusted proxy"
    );
    assert_eq!(session["deviceInfo"]["userAgent"], "EchoHealth/1.0 (test)");
    assert_eq!(session["deviceInfo"]["name"], "Ada's phone");
}

#[tokio::test]
async fn parallel_guesses_cannot_slip_past_the_sign_in_limit() {
    let app = spawn_app().await;
    let email = "parallel@example.com";
    sign_up(&app, email).await;
    let guesses = (0..15).map(|n| {
        let app = &app;
        async move {
            login(app, email, &format!("parallel guess number {n}"))
                .await
                .error_codes()
        }
    });
    let answers = futures_util::future::join_all(guesses).await;
    let refused = answers
        .iter()
        .filter(|codes| codes.as_slice() == ["UNAUTHENTICATED"])
        .count();
    let limited = answers
        .iter()
        .filter(|codes| codes.as_slice() == ["RATE_LIMITED"])
        .count();
    assert_eq!((refused, limited), (5, 10), "{answers:?}");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM audit_events WHERE event_type = 'sign_in_failed'"
        )
        .await,
        5
    );
}

/// POST /graphql as if from `address` (the test server trusts its loopback proxy), with a
/// bearer token when given.
async fn graphql_from(
    app: &TestApp,
    address: &str,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> GqlResponse {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("content-type", "application/json")
        .header("x-forwarded-for", address)
        .body(json!({ "query": query, "variables": variables }).to_string());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    tests::read_gql(request.send().await.unwrap()).await
}

#[tokio::test]
async fn strangers_failures_never_lock_the_owner_out() {
    const ATTACKER: &str = "198.51.100.66";
    let app =
        tests::spawn_app_with(|s| s.trusted_proxies = vec!["127.0.0.1".parse().unwrap()]).await;
    let email = "owner@example.com";
    let phone = sign_up(&app, email).await;
    let wrong = json!({ "email": email, "password": "attacker guess number one" });

    // 50 failures from one address: 5 are checked, then that address is refused.
    let mut answers = Vec::new();
    for _ in 0..50 {
        answers.push(
            graphql_from(&app, ATTACKER, None, LOGIN, wrong.clone())
                .await
                .error_codes(),
        );
    }
    assert!(
        answers[..5].iter().all(|a| a == &["UNAUTHENTICATED"]),
        "{answers:?}"
    );
    assert!(
        answers[5..].iter().all(|a| a == &["RATE_LIMITED"]),
        "{answers:?}"
    );
    let right = json!({ "email": email, "password": PASSWORD });
    assert_eq!(
        graphql_from(&app, ATTACKER, None, LOGIN, right.clone())
            .await
            .error_codes(),
        ["RATE_LIMITED"],
        "the attacker's address stays refused, even with the right password"
    );

    // The owner, from another address, signs in at once.
    let elsewhere = graphql_from(&app, "203.0.113.5", None, LOGIN, right.clone()).await;
    assert!(ok(&elsewhere)["login"]["token"].is_string());
    // From the attacker's own address (a shared network), with a device already signed in.
    let known = graphql_from(&app, ATTACKER, Some(&phone), LOGIN, right.clone()).await;
    assert!(ok(&known)["login"]["token"].is_string());
    // And by mailed code from that address too.
    ok(&graphql_from(
        &app,
        ATTACKER,
        None,
        REQUEST_OTP,
        json!({ "email": email, "purpose": "LOGIN" }),
    )
    .await);
    let code = app
        .mail
        .wait_for(email, 2)
        .await
        .code()
        .expect("a code in the mail");
    let by_code = graphql_from(
        &app,
        ATTACKER,
        None,
        LOGIN_OTP,
        json!({ "email": email, "code": code }),
    )
    .await;
    assert!(ok(&by_code)["loginWithOtp"]["token"].is_string());

    // An unknown address gets exactly the same answers (no enumeration).
    let nobody =
        json!({ "email": "nobody-here@example.com", "password": "attacker guess number one" });
    let mut unknown = Vec::new();
    for _ in 0..6 {
        unknown.push(
            graphql_from(&app, "198.51.100.67", None, LOGIN, nobody.clone())
                .await
                .error_codes(),
        );
    }
    assert_eq!(unknown, answers[..6].to_vec());
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM audit_events WHERE event_type = 'sign_in_failed'"
        )
        .await,
        10,
        "every checked failure recorded, refused attempts are not"
    );
}

#[tokio::test]
async fn a_guess_from_many_addresses_is_slowed_not_turned_into_a_lockout() {
    let app =
        tests::spawn_app_with(|s| s.trusted_proxies = vec!["127.0.0.1".parse().unwrap()]).await;
    let email = "spread@example.com";
    sign_up(&app, email).await;
    let wrong = json!({ "email": email, "password": "distributed guess here" });
    // Ten addresses, one failure each: the account's 10 failures from every source.
    for n in 0..10 {
        let answer = graphql_from(&app, &format!("192.0.2.{n}"), None, LOGIN, wrong.clone()).await;
        assert_eq!(answer.error_codes(), ["UNAUTHENTICATED"], "address {n}");
    }
    // The eleventh attempt, the owner's from yet another address, waits a second and succeeds.
    let started = std::time::Instant::now();
    let right = json!({ "email": email, "password": PASSWORD });
    let owner = graphql_from(&app, "203.0.113.9", None, LOGIN, right).await;
    assert!(ok(&owner)["login"]["token"].is_string());
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "slowed down"
    );
}
