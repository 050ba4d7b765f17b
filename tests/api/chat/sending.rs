//! Sending messages: replies, retries, statements per send, rate limits under concurrency.

use super::*;

#[tokio::test]
async fn the_built_in_assistant_replies_and_bad_input_stores_nothing() {
    let app = spawn_app().await;
    let token = user(&app, "builtin@example.com").await;
    let id = start(&app, &token).await;
    let response = send(&app, &token, &id, "   How much sleep do I need?  ").await;
    let sent = &ok(&response)["sendChatMessage"];
    assert_eq!(sent["message"]["content"], "How much sleep do I need?");
    assert_eq!(sent["message"]["senderType"], "USER");
    let reply = &sent["reply"];
    assert_eq!(reply["senderType"], "ASSISTANT");
    assert_eq!(reply["messageType"], "TEXT");
    let text = reply["content"].as_str().unwrap();
    assert!(text.contains("7 to 9 hours"), "{text}");
    assert!(text.ends_with(NOT_ADVICE), "{text}");
    assert_eq!(reply["metadata"]["provider"], "built_in");
    assert_eq!(reply["metadata"]["safety"]["redFlags"], json!([]));
    assert!(reply["metadata"]["latencyMs"].is_number());
    // The same, typed.
    let details = &reply["replyDetails"];
    assert_eq!(details["provider"], "built_in");
    assert!(
        details["model"].is_null() && details["tokens"].is_null() && details["fallback"].is_null()
    );
    assert_eq!(details["latencyMs"], reply["metadata"]["latencyMs"]);
    assert_eq!(details["safety"], json!({ "redFlags": [], "guidance": [] }));

    let read = session(&app, &token, &id).await;
    assert_eq!(read["totalMessages"], 2);
    let senders: Vec<&str> = read["messages"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["senderType"].as_str().unwrap())
        .collect();
    assert_eq!(senders, ["USER", "ASSISTANT"]);

    for bad in ["", "   ", &"x".repeat(4001)] {
        let response = send(&app, &token, &id, bad).await;
        assert_eq!(response.error_codes(), ["BAD_USER_INPUT"]);
        assert_eq!(response.body["errors"][0]["extensions"]["field"], "content");
    }
    let response = app
        .graphql_as(
            Some(&token),
            SEND,
            json!({ "id": id, "content": "hi", "client": "x".repeat(65) }),
        )
        .await;
    assert_eq!(response.error_codes(), ["BAD_USER_INPUT"]);
    let response = app
        .graphql_as(Some(&token), SEND, json!({ "id": id, "content": 42 }))
        .await;
    assert!(
        !response.error_codes().is_empty(),
        "a number is not a message"
    );
    assert_eq!(session(&app, &token, &id).await["totalMessages"], 2);
    assert_eq!(rows(&app, "SELECT count(*) FROM chat_messages").await, 2);

    // The assistant answers from the user's own data.
    app.graphql_as(Some(&token), "mutation { createHealthAssessment(input: { bmi: { heightCm: 170, weightKg: 95 } }) { assessment { id } } }", json!({})).await;
    let response = send(&app, &token, &id, "what do my results mean?").await;
    let text = ok(&response)["sendChatMessage"]["reply"]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(text.contains("Latest assessments: BMI"), "{text}");
}

#[tokio::test]
async fn a_retry_with_the_same_client_message_id_returns_the_stored_pair() {
    let app = spawn_app().await;
    let token = user(&app, "retry@example.com").await;
    let id = start(&app, &token).await;
    let variables = json!({ "id": id, "content": "Tips for better sleep?", "client": "c-123" });
    let first = app.graphql_as(Some(&token), SEND, variables.clone()).await;
    let second = app.graphql_as(Some(&token), SEND, variables).await;
    assert_eq!(
        ok(&first)["sendChatMessage"],
        ok(&second)["sendChatMessage"]
    );
    assert_eq!(rows(&app, "SELECT count(*) FROM chat_messages").await, 2);
    assert_eq!(session(&app, &token, &id).await["totalMessages"], 2);
}

#[tokio::test]
async fn a_send_with_the_built_in_assistant_costs_at_most_ten_statements() {
    let app = spawn_app().await;
    let token = user(&app, "lean@example.com").await;
    let id = start(&app, &token).await;
    // The first request of a session refreshes its activity; measure the ones after it.
    ok(&send(&app, &token, &id, "warm up").await);
    let before = app.statements();
    ok(&send(
        &app,
        &token,
        &id,
        "How much exercise should I aim for each week?",
    )
    .await);
    let plain = app.statements() - before;
    let before = app.statements();
    let variables = json!({ "id": id, "content": "And how much sleep?", "client": "c-9" });
    ok(&app.graphql_as(Some(&token), SEND, variables.clone()).await);
    let with_client_id = app.statements() - before;
    let before = app.statements();
    ok(&app.graphql_as(Some(&token), SEND, variables).await);
    let retry = app.statements() - before;
    println!(
        "sendChatMessage statements: {plain}, with a client id {with_client_id}, retried {retry}"
    );
    assert!(plain <= 10, "{plain} statements");
    assert!(with_client_id <= 10, "{with_client_id} statements");
    assert!(
        retry <= 2,
        "a retry reads the stored pair: {retry} statements"
    );
    assert_eq!(session(&app, &token, &id).await["totalMessages"], 6);
}

#[tokio::test]
async fn concurrent_sends_to_two_sessions_keep_the_rate_limit_exact() {
    let app = spawn_app_with(|s| {
        s.ai.chat_messages_per_minute = 5;
        s.database.db_pool_size = 20;
        s.server.http_workers = Some(2);
    })
    .await;
    let token = user(&app, "racer@example.com").await;
    let sessions = [start(&app, &token).await, start(&app, &token).await];
    let sends = (0..12).map(|i| {
        let (app, token, id) = (&app, &token, &sessions[i % 2]);
        async move { send(app, token, id, &format!("message number {i}")).await }
    });
    let responses = futures_util::future::join_all(sends).await;
    let sent = responses
        .iter()
        .filter(|r| r.error_codes().is_empty())
        .count();
    let limited = responses
        .iter()
        .filter(|r| r.error_codes() == ["RATE_LIMITED"])
        .count();
    assert_eq!((sent, limited), (5, 7));
    assert_eq!(rows(&app, "SELECT count(*) FROM chat_messages").await, 10);
    assert_eq!(
        rows(
            &app,
            "SELECT count(*) FROM rate_limit_events WHERE bucket LIKE 'chat:%'"
        )
        .await,
        5
    );
}

#[tokio::test]
async fn fifty_concurrent_sends_keep_total_messages_exact() {
    let app = spawn_app_with(|s| {
        s.ai.chat_messages_per_minute = 1000;
        s.database.db_pool_size = 20;
        s.server.http_workers = Some(2);
    })
    .await;
    let token = user(&app, "burst@example.com").await;
    let id = start(&app, &token).await;
    let sends = (0..50).map(|i| {
        let (app, token, id) = (&app, &token, &id);
        async move { send(app, token, id, &format!("message number {i}")).await }
    });
    let responses = futures_util::future::join_all(sends).await;
    for response in &responses {
        ok(response);
    }
    assert_eq!(rows(&app, "SELECT count(*) FROM chat_messages").await, 100);
    let total = session(&app, &token, &id).await["totalMessages"].clone();
    assert_eq!(total, 100);
}

#[tokio::test]
async fn sending_is_rate_limited_per_user() {
    let app = spawn_app_with(|s| s.ai.chat_messages_per_minute = 2).await;
    let token = user(&app, "limited@example.com").await;
    let id = start(&app, &token).await;
    ok(&send(&app, &token, &id, "one").await);
    ok(&send(&app, &token, &id, "two").await);
    let third = send(&app, &token, &id, "three").await;
    assert_eq!(third.error_codes(), ["RATE_LIMITED"]);
    assert!(
        third.body["errors"][0]["extensions"]["retryAfterSeconds"]
            .as_u64()
            .unwrap()
            >= 1
    );
    assert_eq!(rows(&app, "SELECT count(*) FROM chat_messages").await, 4);
}
