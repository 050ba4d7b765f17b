//! Guessing passwords: failures throttled and recorded, per address and per client, never a lockout of the owner.

use super::*;

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
        tests::spawn_app_with(|s| s.server.trusted_proxies = vec!["127.0.0.1".parse().unwrap()])
            .await;
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

#[tokio::test]
async fn strangers_failures_never_lock_the_owner_out() {
    const ATTACKER: &str = "198.51.100.66";
    let app =
        tests::spawn_app_with(|s| s.server.trusted_proxies = vec!["127.0.0.1".parse().unwrap()])
            .await;
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
        tests::spawn_app_with(|s| s.server.trusted_proxies = vec!["127.0.0.1".parse().unwrap()])
            .await;
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
