//! One-time codes: wrong, reused, expired and guessed codes, throttled requests, answers that tell nothing, and signing in with a code.

use super::*;

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
