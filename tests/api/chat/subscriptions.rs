//! Subscriptions over WebSocket: the conversation in order, across server processes, the protocol, and sockets closed when the session ends.

use super::*;

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
        s.graphql.ws_init_timeout_secs = 1;
        s.server.cors_allowed_origins = vec!["https://app.example.com".into()];
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
async fn signing_out_closes_the_open_socket() {
    let app = spawn_app_with(|s| s.graphql.ws_reauth_interval_secs = 1).await;
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
    let app = spawn_app_with(|s| s.graphql.ws_reauth_interval_secs = 1).await;
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
