//! Chat end to end: sessions, messages and replies over HTTP; live events over a real
//! graphql-transport-ws socket, across two server processes; the protocol's close codes; the
//! OpenAI-compatible streaming client against a local server that speaks its wire format; the
//! safety layer; exact message counts under concurrency.

use serde_json::{Value, json};
use tests::{
    ChildServer, GqlResponse, TestApp,
    fake_ai::{Behaviour, FakeAi, STREAMED_REPLY},
    ok, spawn_app, spawn_app_with,
    ws::{Ended, PROTOCOL, WsClient},
};

const START: &str = "mutation($type: SessionType) { startChatSession(sessionType: $type) { session { id isActive sessionType totalMessages } } }";
const SEND: &str = "mutation($id: ID!, $content: String!, $client: String) { sendChatMessage(sessionId: $id, content: $content, clientMessageId: $client) { message { id content senderType } reply { id content senderType messageType metadata replyDetails { provider model contextShared tokens { prompt completion } fallback { reason } latencyMs safety { redFlags guidance } } } } }";
const SESSION: &str = "query($id: ID!) { chatSession(id: $id) { id isActive endedAt totalMessages messages(first: 100) { totalCount edges { cursor node { id senderType content } } } } }";
const EVENTS: &str = "subscription($id: ID!) { chatEvents(sessionId: $id) { kind sessionId delta sequence replyToId message { id senderType content } } }";
const NOT_ADVICE: &str = "This is general information, not medical advice; for decisions about your health, talk to a doctor.";

async fn user(app: &TestApp, email: &str) -> String {
    let user = app.create_user(email).await;
    app.sign_in(&user).await
}

async fn start(app: &TestApp, token: &str) -> Value {
    let response = app.graphql_as(Some(token), START, json!({})).await;
    ok(&response)["startChatSession"]["session"]["id"].clone()
}

async fn send(app: &TestApp, token: &str, id: &Value, content: &str) -> GqlResponse {
    app.graphql_as(Some(token), SEND, json!({ "id": id, "content": content }))
        .await
}

async fn session(app: &TestApp, token: &str, id: &Value) -> Value {
    let response = app
        .graphql_as(Some(token), SESSION, json!({ "id": id }))
        .await;
    ok(&response)["chatSession"].clone()
}

async fn rows(app: &TestApp, sql: &str) -> i64 {
    app.scalar_i64(sql).await
}

#[tokio::test]
async fn sessions_start_list_end_and_delete() {
    let app = spawn_app().await;
    let token = user(&app, "chat@example.com").await;
    let general = start(&app, &token).await;
    let response = app
        .graphql_as(Some(&token), START, json!({ "type": "SYMPTOM_CHECK" }))
        .await;
    let symptom = ok(&response)["startChatSession"]["session"].clone();
    assert_eq!(symptom["sessionType"], "SYMPTOM_CHECK");
    assert_eq!(symptom["isActive"], true);
    ok(&send(&app, &token, &general, "hello").await);

    let end = app
        .graphql_as(
            Some(&token),
            "mutation($id: ID!) { endChatSession(id: $id) { session { isActive endedAt } } }",
            json!({ "id": general }),
        )
        .await;
    let ended = &ok(&end)["endChatSession"]["session"];
    assert_eq!(ended["isActive"], false);
    assert!(ended["endedAt"].is_string());
    let refused = send(&app, &token, &general, "are you there?").await;
    assert_eq!(refused.error_codes(), ["CONFLICT"]);
    assert_eq!(session(&app, &token, &general).await["totalMessages"], 2);

    let list = |filter: &str| {
        format!("{{ me {{ chatSessions({filter}) {{ totalCount edges {{ node {{ id }} }} }} }} }}")
    };
    let count = |r: &GqlResponse| ok(r)["me"]["chatSessions"]["totalCount"].clone();
    assert_eq!(
        count(
            &app.graphql_as(Some(&token), &list("active: true"), json!({}))
                .await
        ),
        1
    );
    assert_eq!(
        count(
            &app.graphql_as(Some(&token), &list("active: false"), json!({}))
                .await
        ),
        1
    );
    assert_eq!(
        count(
            &app.graphql_as(Some(&token), &list("sessionType: SYMPTOM_CHECK"), json!({}))
                .await
        ),
        1
    );
    assert_eq!(
        count(
            &app.graphql_as(Some(&token), &list("first: 10"), json!({}))
                .await
        ),
        2
    );

    let delete = app
        .graphql_as(
            Some(&token),
            "mutation($id: ID!) { deleteChatSession(id: $id) { deletedId } }",
            json!({ "id": general }),
        )
        .await;
    assert_eq!(ok(&delete)["deleteChatSession"]["deletedId"], general);
    let gone = app
        .graphql_as(Some(&token), SESSION, json!({ "id": general }))
        .await;
    assert_eq!(gone.error_codes(), ["NOT_FOUND"]);
    assert_eq!(
        rows(&app, "SELECT count(*) FROM chat_messages").await,
        0,
        "messages cascade with their session"
    );
}

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
        s.chat_messages_per_minute = 5;
        s.db_pool_size = 20;
        s.http_workers = Some(2);
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
        s.chat_messages_per_minute = 1000;
        s.db_pool_size = 20;
        s.http_workers = Some(2);
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
    let app = spawn_app_with(|s| s.chat_messages_per_minute = 2).await;
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

#[tokio::test]
async fn another_users_session_is_not_found() {
    let app = spawn_app().await;
    let owner = user(&app, "owner@example.com").await;
    let other = user(&app, "other@example.com").await;
    let id = start(&app, &owner).await;
    for (query, variables) in [
        (SESSION, json!({ "id": id })),
        (SEND, json!({ "id": id, "content": "hi" })),
        (
            "mutation($id: ID!) { endChatSession(id: $id) { session { id } } }",
            json!({ "id": id }),
        ),
        (
            "mutation($id: ID!) { deleteChatSession(id: $id) { deletedId } }",
            json!({ "id": id }),
        ),
    ] {
        let response = app.graphql_as(Some(&other), query, variables).await;
        assert_eq!(response.error_codes(), ["NOT_FOUND"], "{query}");
    }
    assert_eq!(session(&app, &owner, &id).await["isActive"], true);
    assert_eq!(rows(&app, "SELECT count(*) FROM chat_messages").await, 0);
}

#[tokio::test]
async fn red_flags_put_emergency_guidance_first_whatever_answers() {
    let fake = FakeAi::start(Behaviour::Good);
    for with_model in [false, true] {
        let url = fake.url.clone();
        let app = spawn_app_with(move |s| {
            if with_model {
                s.ai_base_url = Some(url);
            }
        })
        .await;
        let token = user(&app, "flag@example.com").await;
        let id = start(&app, &token).await;
        let response = send(
            &app,
            &token,
            &id,
            "I have crushing chest pian and my left arm feels numb",
        )
        .await;
        let reply = &ok(&response)["sendChatMessage"]["reply"];
        let text = reply["content"].as_str().unwrap();
        assert!(
            text.starts_with(
                "If this is happening now or getting worse, call your local emergency number"
            ),
            "{text}"
        );
        assert_eq!(reply["messageType"], "SAFETY_NOTICE");
        assert_eq!(
            reply["metadata"]["safety"]["redFlags"],
            json!(["chest_pain"])
        );
        assert_eq!(
            reply["replyDetails"]["safety"],
            json!({ "redFlags": ["chest_pain"], "guidance": ["EMERGENCY"] })
        );
        if with_model {
            assert!(
                text.ends_with(STREAMED_REPLY),
                "the model answers after the guidance: {text}"
            );
        }
        let response = send(
            &app,
            &token,
            &id,
            "no chest pain today, just wondering about sleep",
        )
        .await;
        let reply = &ok(&response)["sendChatMessage"]["reply"];
        assert_eq!(reply["messageType"], "TEXT");
        let response = send(&app, &token, &id, "I want to end my life").await;
        let text = ok(&response)["sendChatMessage"]["reply"]["content"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            text.starts_with("If you are thinking about harming yourself"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn the_streaming_client_ends_every_provider_failure_in_a_stored_reply() {
    let fake = FakeAi::start(Behaviour::Good);
    let url = fake.url.clone();
    let app = spawn_app_with(move |s| {
        s.ai_base_url = Some(url);
        s.ai_timeout_secs = 2;
        s.ai_retries = 1;
        s.chat_messages_per_minute = 100;
    })
    .await;
    let token = user(&app, "stream@example.com").await;
    let id = start(&app, &token).await;

    let reply = |response: &GqlResponse| ok(response)["sendChatMessage"]["reply"].clone();
    let good = reply(&send(&app, &token, &id, "How should I stay hydrated?").await);
    assert_eq!(good["content"], STREAMED_REPLY);
    assert_eq!(good["metadata"]["provider"], "openai-compatible");
    assert_eq!(good["metadata"]["model"], "test-model");
    assert_eq!(
        good["metadata"]["tokens"],
        json!({ "prompt": 42, "completion": 11 })
    );
    assert!(good["metadata"].get("fallback").is_none());
    assert_eq!(
        (
            &good["replyDetails"]["provider"],
            &good["replyDetails"]["model"]
        ),
        (&json!("openai-compatible"), &json!("test-model"))
    );
    assert_eq!(
        good["replyDetails"]["tokens"],
        json!({ "prompt": 42, "completion": 11 })
    );
    assert!(good["replyDetails"]["fallback"].is_null());
    let sent = fake.requests().last().unwrap().clone();
    assert_eq!(sent["stream"], true);
    assert_eq!(sent["messages"][0]["role"], "system");
    assert_eq!(
        sent["messages"].as_array().unwrap().last().unwrap()["content"],
        "How should I stay hydrated?"
    );
    assert!(
        !sent.to_string().contains("api-key"),
        "no secrets in the request body"
    );

    // One 500, then success: the retry budget covers it.
    fake.set_behaviour(Behaviour::FailOnce);
    let before = fake.requests().len();
    let retried = reply(&send(&app, &token, &id, "and in summer?").await);
    assert_eq!(retried["content"], STREAMED_REPLY);
    assert_eq!(fake.requests().len() - before, 2);

    for (behaviour, why) in [
        (Behaviour::ServerError, "500"),
        (Behaviour::Garbage, "malformed"),
        (Behaviour::Slow, "time"),
        (Behaviour::Hang, "time"),
    ] {
        fake.set_behaviour(behaviour);
        let fallback = reply(&send(&app, &token, &id, "How much sleep do I need?").await);
        let text = fallback["content"].as_str().unwrap();
        assert!(
            text.contains("7 to 9 hours") && text.ends_with(NOT_ADVICE),
            "{behaviour:?}: {text}"
        );
        let reason = fallback["metadata"]["fallback"]["reason"]
            .as_str()
            .unwrap_or_default()
            .to_lowercase();
        assert!(reason.contains(why), "{behaviour:?}: {reason}");
        assert_eq!(fallback["metadata"]["fallback"]["to"], "built_in");
        assert_eq!(
            fallback["replyDetails"]["fallback"]["reason"],
            fallback["metadata"]["fallback"]["reason"]
        );
    }
    let read = session(&app, &token, &id).await;
    assert_eq!(read["totalMessages"], 12);
}

#[tokio::test]
async fn context_is_shared_with_the_model_only_when_the_user_allows_it() {
    let fake = FakeAi::start(Behaviour::Good);
    let url = fake.url.clone();
    let app = spawn_app_with(move |s| s.ai_base_url = Some(url)).await;
    let token = user(&app, "context@example.com").await;
    app.graphql_as(Some(&token), "mutation { createHealthAssessment(input: { bmi: { heightCm: 170, weightKg: 95 } }) { assessment { id } } }", json!({})).await;
    let id = start(&app, &token).await;
    ok(&send(&app, &token, &id, "hello").await);
    let last = |fake: &FakeAi| {
        fake.requests()
            .iter()
            .rev()
            .find(|r| r["stream"] == true)
            .unwrap()
            .to_string()
    };
    assert!(
        !last(&fake).contains("Latest assessments"),
        "shared without consent"
    );
    app.execute("INSERT INTO app_settings (user_id, setting_key, setting_value, setting_type) SELECT id, 'ai_context_sharing', 'true', 'boolean' FROM users").await;
    let response = send(&app, &token, &id, "hello again").await;
    assert_eq!(
        ok(&response)["sendChatMessage"]["reply"]["metadata"]["contextShared"],
        true
    );
    assert_eq!(
        ok(&response)["sendChatMessage"]["reply"]["replyDetails"]["contextShared"],
        true
    );
    assert!(
        last(&fake).contains("Latest assessments: BMI"),
        "{}",
        last(&fake)
    );
}

async fn events_until_completed(client: &mut WsClient, id: &str) -> Vec<Value> {
    let mut events = Vec::new();
    loop {
        let message = client.next().await;
        assert_eq!(message["id"], id, "{message}");
        assert_eq!(message["type"], "next", "{message}");
        let event = message["payload"]["data"]["chatEvents"].clone();
        let done = event["kind"] == "REPLY_COMPLETED";
        events.push(event);
        if done {
            return events;
        }
    }
}

#[tokio::test]
async fn a_subscriber_receives_the_conversation_in_order() {
    let app = spawn_app().await;
    let token = user(&app, "live@example.com").await;
    let id = start(&app, &token).await;
    let mut client = WsClient::signed_in(&app.address, &token).await;
    client.subscribe("1", EVENTS, json!({ "id": id })).await;
    // The subscription is registered once the server has read the message; a ping round trip
    // orders it before the send below.
    client.send(json!({ "type": "ping" })).await;
    assert_eq!(client.next().await, json!({ "type": "pong" }));

    let response = send(&app, &token, &id, "Any tips for exercise?").await;
    let sent = ok(&response)["sendChatMessage"].clone();
    let events = events_until_completed(&mut client, "1").await;
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.first(), Some(&"MESSAGE_ADDED"));
    assert_eq!(events[0]["message"]["id"], sent["message"]["id"]);
    assert_eq!(
        &kinds[kinds.len() - 2..],
        ["MESSAGE_ADDED", "REPLY_COMPLETED"]
    );
    assert!(
        kinds[1..kinds.len() - 2]
            .iter()
            .all(|k| *k == "REPLY_DELTA")
    );
    assert!(kinds.len() > 4, "the reply streams in pieces: {kinds:?}");
    let deltas: String = events
        .iter()
        .filter(|e| e["kind"] == "REPLY_DELTA")
        .map(|e| e["delta"].as_str().unwrap())
        .collect();
    assert_eq!(deltas, sent["reply"]["content"].as_str().unwrap());
    let sequence: Vec<i64> = events
        .iter()
        .filter(|e| e["kind"] == "REPLY_DELTA")
        .map(|e| e["sequence"].as_i64().unwrap())
        .collect();
    assert_eq!(sequence, (0..sequence.len() as i64).collect::<Vec<_>>());
    assert_eq!(events.last().unwrap()["message"]["id"], sent["reply"]["id"]);
    assert_eq!(events.last().unwrap()["replyToId"], sent["message"]["id"]);

    // Ending the session ends the subscription.
    app.graphql_as(
        Some(&token),
        "mutation($id: ID!) { endChatSession(id: $id) { session { id } } }",
        json!({ "id": id }),
    )
    .await;
    let ended = client.next().await;
    assert_eq!(
        ended["payload"]["data"]["chatEvents"]["kind"],
        "SESSION_ENDED"
    );
    assert_eq!(
        client.next().await,
        json!({ "id": "1", "type": "complete" })
    );
}

#[tokio::test]
async fn a_message_sent_through_another_server_process_reaches_the_subscriber() {
    let app = spawn_app().await;
    let token = user(&app, "replica@example.com").await;
    let id = start(&app, &token).await;
    let replica = ChildServer::start(&app, &[]);
    let mut client = WsClient::signed_in(&app.address, &token).await;
    client.subscribe("a", EVENTS, json!({ "id": id })).await;
    client.send(json!({ "type": "ping" })).await;
    assert_eq!(client.next().await, json!({ "type": "pong" }));

    let response = app
        .client
        .post(format!("{}/graphql", replica.address))
        .bearer_auth(&token)
        .json(&json!({ "query": SEND, "variables": { "id": id, "content": "hello from the other replica" } }))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    let reply_id = body["data"]["sendChatMessage"]["reply"]["id"].clone();
    assert!(reply_id.is_string(), "{body}");
    let events = events_until_completed(&mut client, "a").await;
    assert_eq!(
        events[0]["message"]["content"],
        "hello from the other replica"
    );
    assert_eq!(events.last().unwrap()["message"]["id"], reply_id);
    drop(replica);

    // A client that reconnects catches up from its last cursor.
    let read = session(&app, &token, &id).await;
    let first_cursor = read["messages"]["edges"][0]["cursor"].clone();
    let response = app.graphql_as(Some(&token), "query($id: ID!, $after: String) { chatSession(id: $id) { messages(after: $after) { edges { node { id } } } } }", json!({ "id": id, "after": first_cursor })).await;
    let after = &ok(&response)["chatSession"]["messages"]["edges"];
    assert_eq!(after.as_array().unwrap().len(), 1);
    assert_eq!(after[0]["node"]["id"], reply_id);
}

#[tokio::test]
async fn the_socket_follows_the_protocol_to_the_letter() {
    let app = spawn_app_with(|s| {
        s.ws_init_timeout_secs = 1;
        s.cors_allowed_origins = vec!["https://app.example.com".into()];
    })
    .await;
    let token = user(&app, "protocol@example.com").await;
    let base = app.address.as_str();
    let init = |authorization: &str| json!({ "type": "connection_init", "payload": { "authorization": authorization } });

    // No connection_init in time.
    let mut client = WsClient::connect(base, Some(PROTOCOL), None).await.unwrap();
    assert_eq!(
        client.closed().await,
        (4408, "Connection initialisation timeout".into())
    );
    // Missing, malformed or unknown credentials.
    for payload in [
        json!({ "type": "connection_init" }),
        init("Bearer nope"),
        init(&token),
    ] {
        let mut client = WsClient::connect(base, Some(PROTOCOL), None).await.unwrap();
        client.send(payload).await;
        assert_eq!(client.closed().await, (4403, "Forbidden".into()));
    }
    // Subscribe before the ack.
    let mut client = WsClient::connect(base, Some(PROTOCOL), None).await.unwrap();
    client.subscribe("1", EVENTS, json!({ "id": "1" })).await;
    assert_eq!(client.closed().await, (4401, "Unauthorized".into()));
    // A second connection_init.
    let mut client = WsClient::signed_in(base, &token).await;
    client.send(init(&format!("Bearer {token}"))).await;
    assert_eq!(client.closed().await.0, 4429);
    // Invalid messages, and an id longer than 64 bytes.
    let long_id = json!({ "type": "subscribe", "id": "x".repeat(65), "payload": { "query": "{ __typename }" } }).to_string();
    for text in [
        "not json",
        "[1,2]",
        r#"{"type":"subscribe","id":"1"}"#,
        r#"{"type":"next","id":"1","payload":{}}"#,
        r#"{"id":"1"}"#,
        long_id.as_str(),
    ] {
        let mut client = WsClient::signed_in(base, &token).await;
        client.send_text(text).await;
        assert_eq!(client.closed().await.0, 4400, "{text}");
    }
    // A duplicate subscription id.
    let id = start(&app, &token).await;
    let mut client = WsClient::signed_in(base, &token).await;
    client.subscribe("dup", EVENTS, json!({ "id": id })).await;
    client.subscribe("dup", EVENTS, json!({ "id": id })).await;
    assert_eq!(
        client.closed().await,
        (4409, "Subscriber for dup already exists".into())
    );
    // Without the subprotocol.
    let mut client = WsClient::connect(base, None, None).await.unwrap();
    assert_eq!(client.closed().await.0, 4406);
    // A browser origin not on the allow-list is refused before the upgrade; a listed one works.
    assert_eq!(
        WsClient::connect(base, Some(PROTOCOL), Some("https://evil.example"))
            .await
            .err(),
        Some(Ended::Refused(403))
    );
    // The server's own origin (GraphiQL's page) is always allowed.
    let own = base.replacen("http://", "https://", 1);
    let mut client = WsClient::connect(base, Some(PROTOCOL), Some(&own))
        .await
        .unwrap();
    client.send(init(&format!("Bearer {token}"))).await;
    assert_eq!(client.next().await, json!({ "type": "connection_ack" }));
    let mut client = WsClient::connect(base, Some(PROTOCOL), Some("https://app.example.com"))
        .await
        .unwrap();
    client.send(init(&format!("Bearer {token}"))).await;
    assert_eq!(client.next().await, json!({ "type": "connection_ack" }));
    // A client `complete` stops a subscription; the id may be used again.
    client.subscribe("s", EVENTS, json!({ "id": id })).await;
    client.send(json!({ "id": "s", "type": "complete" })).await;
    client.subscribe("s", EVENTS, json!({ "id": id })).await;
    client
        .send(json!({ "type": "ping", "payload": { "n": 1 } }))
        .await;
    assert_eq!(
        client.next().await,
        json!({ "type": "pong", "payload": { "n": 1 } })
    );
    // Queries run over the socket too: `next` then `complete`.
    client.subscribe("q", "{ me { email } }", json!({})).await;
    assert_eq!(
        client.next().await,
        json!({ "id": "q", "type": "next", "payload": { "data": { "me": { "email": "protocol@example.com" } } } })
    );
    assert_eq!(
        client.next().await,
        json!({ "id": "q", "type": "complete" })
    );
}

#[tokio::test]
async fn subscribing_to_a_session_that_is_not_yours_or_has_ended_is_an_error() {
    let app = spawn_app().await;
    let owner = user(&app, "mine@example.com").await;
    let other = user(&app, "theirs@example.com").await;
    let id = start(&app, &owner).await;
    let mut client = WsClient::signed_in(&app.address, &other).await;
    client.subscribe("x", EVENTS, json!({ "id": id })).await;
    let error = client.next().await;
    assert_eq!(error["type"], "error", "{error}");
    assert_eq!(error["id"], "x");
    assert_eq!(error["payload"][0]["extensions"]["code"], "NOT_FOUND");
    // A validation error is an `error` too.
    client
        .subscribe(
            "y",
            "subscription { chatEvents(sessionId: 1) { nope } }",
            json!({}),
        )
        .await;
    let error = client.next().await;
    assert_eq!(error["type"], "error");
    assert!(
        error["payload"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nope")
    );
    // An ended session takes no subscribers.
    app.graphql_as(
        Some(&owner),
        "mutation($id: ID!) { endChatSession(id: $id) { session { id } } }",
        json!({ "id": id }),
    )
    .await;
    let mut client = WsClient::signed_in(&app.address, &owner).await;
    client.subscribe("z", EVENTS, json!({ "id": id })).await;
    let error = client.next().await;
    assert_eq!(
        error["payload"][0]["extensions"]["code"], "CONFLICT",
        "{error}"
    );
}

#[tokio::test]
async fn deleting_the_account_deletes_its_chats() {
    let app = spawn_app().await;
    let user = app.create_user("bye@example.com").await;
    let hash = api::auth::password::hash_blocking("a long enough passphrase 42").unwrap();
    app.execute(&format!(
        "UPDATE users SET password_hash = '{hash}' WHERE id = {}",
        user.id
    ))
    .await;
    let token = app.sign_in(&user).await;
    let id = start(&app, &token).await;
    ok(&send(&app, &token, &id, "hello").await);
    let response = app.graphql_as(Some(&token), "mutation { deleteAccount(input: { password: \"a long enough passphrase 42\" }) { accepted } }", json!({})).await;
    assert!(response.body.get("errors").is_none(), "{:?}", response.body);
    assert_eq!(rows(&app, "SELECT count(*) FROM chat_sessions").await, 0);
    assert_eq!(rows(&app, "SELECT count(*) FROM chat_messages").await, 0);
}

#[tokio::test]
async fn signing_out_closes_the_open_socket() {
    let app = spawn_app_with(|s| s.ws_reauth_interval_secs = 1).await;
    let token = user(&app, "leaving@example.com").await;
    let id = start(&app, &token).await;
    let mut client = WsClient::signed_in(&app.address, &token).await;
    client.subscribe("1", EVENTS, json!({ "id": id })).await;
    client.send(json!({ "type": "ping" })).await;
    assert_eq!(client.next().await, json!({ "type": "pong" }));
    let out = app
        .graphql_as(
            Some(&token),
            "mutation { logout { revokedCount } }",
            json!({}),
        )
        .await;
    assert_eq!(ok(&out)["logout"]["revokedCount"], 1);
    assert_eq!(client.closed().await, (4403, "Forbidden".into()));
}

#[tokio::test]
async fn a_password_changed_on_another_device_closes_this_devices_socket() {
    let app = spawn_app_with(|s| s.ws_reauth_interval_secs = 1).await;
    let user = app.create_user("changed@example.com").await;
    let hash = api::auth::password::hash_blocking("a long enough passphrase 42").unwrap();
    app.execute(&format!(
        "UPDATE users SET password_hash = '{hash}' WHERE id = {}",
        user.id
    ))
    .await;
    let phone = app.sign_in(&user).await;
    let laptop = app.sign_in(&user).await;
    let id = start(&app, &phone).await;
    let mut client = WsClient::signed_in(&app.address, &phone).await;
    client.subscribe("1", EVENTS, json!({ "id": id })).await;
    client.send(json!({ "type": "ping" })).await;
    assert_eq!(client.next().await, json!({ "type": "pong" }));
    let changed = app
        .graphql_as(
            Some(&laptop),
            "mutation { changePassword(input: { currentPassword: \"a long enough passphrase 42\", newPassword: \"another long passphrase 77\" }) { revokedCount } }",
            json!({}),
        )
        .await;
    assert_eq!(ok(&changed)["changePassword"]["revokedCount"], 1);
    // Closed at the next re-check, not left streaming the chat to a revoked device.
    assert_eq!(client.closed().await, (4403, "Forbidden".into()));
}
