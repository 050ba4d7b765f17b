//! Chat end to end: sessions, messages and replies over HTTP; live events over a real
//! graphql-transport-ws socket, across two server processes; the protocol's close codes; the
//! OpenAI-compatible streaming client against a local server that speaks its wire format; the
//! safety layer; exact message counts under concurrency.

mod assistant;
mod sending;
mod sessions;
mod subscriptions;

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
