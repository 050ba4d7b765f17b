//! Subscription fan-out: how many `chatEvents` subscribers one server holds, and how long a
//! message takes to reach all of them.
//!
//!   cargo bench -p tests --bench chat_fanout [-- 100 1000 4000]
//!
//! Needs PostgreSQL on 127.0.0.1:5432. For each count N, starts a server, opens N
//! graphql-transport-ws connections subscribed to one chat session, then sends 5 messages over
//! HTTP and records, for every subscriber, the time from the send until its MESSAGE_ADDED event
//! for that message arrived. Prints p50, p99 and max over all deliveries, and the server's
//! memory (RSS) with all sockets open.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::json;
use tests::{ok, spawn_app_with, ws::WsClient};

const EVENTS: &str =
    "subscription($id: ID!) { chatEvents(sessionId: $id) { kind message { id senderType } } }";
const SEND: &str = "mutation($id: ID!, $c: String!) { sendChatMessage(sessionId: $id, content: $c) { message { id } } }";

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

#[tokio::main]
async fn main() {
    let counts: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let counts = if counts.is_empty() {
        vec![100, 1000, 4000]
    } else {
        counts
    };
    for n in counts {
        let app = spawn_app_with(|s| {
            s.server.http_workers = Some(2);
            s.database.db_pool_size = 10;
            s.ai.chat_messages_per_minute = 1000;
        })
        .await;
        let user = app.create_user(&format!("fanout{n}@example.com")).await;
        let token = app.sign_in(&user).await;
        let response = app
            .graphql_as(
                Some(&token),
                "mutation { startChatSession { session { id } } }",
                json!({}),
            )
            .await;
        let session = ok(&response)["startChatSession"]["session"]["id"].clone();

        let before = rss_mib();
        let mut clients = Vec::with_capacity(n);
        for chunk in 0..n.div_ceil(100) {
            let batch = (chunk * 100..((chunk + 1) * 100).min(n)).map(|_| async {
                let mut client = WsClient::signed_in(&app.address, &token).await;
                client
                    .subscribe("1", EVENTS, json!({ "id": session }))
                    .await;
                client
            });
            clients.extend(join_all(batch).await);
        }
        // Every subscription is registered once a ping round trip has passed on its socket.
        for client in &mut clients {
            client.send(json!({ "type": "ping" })).await;
        }
        for client in &mut clients {
            while client.next().await["type"] != "pong" {}
        }
        let held = rss_mib() - before;
        println!(
            "subscribers: {n} (one process holds both ends; RSS grew {held:.0} MiB, {:.1} KiB per subscriber incl. the client side)",
            held * 1024.0 / n as f64
        );

        let mut deliveries = Vec::new();
        for round in 0..5 {
            // The send runs beside the readers: the clock starts when it leaves.
            let (http, url, bearer) = (
                app.client.clone(),
                format!("{}/graphql", app.address),
                token.clone(),
            );
            let body = json!({ "query": SEND, "variables": { "id": session, "c": format!("round {round}") } });
            let started = Instant::now();
            let send = tokio::spawn(async move {
                http.post(url)
                    .bearer_auth(bearer)
                    .json(&body)
                    .send()
                    .await
                    .unwrap()
            });
            let waits = clients.iter_mut().map(|client| async move {
                loop {
                    let message = client.next().await;
                    let event = &message["payload"]["data"]["chatEvents"];
                    if event["kind"] == "MESSAGE_ADDED" && event["message"]["senderType"] == "USER"
                    {
                        return Instant::now();
                    }
                }
            });
            let arrived = join_all(waits).await;
            assert!(send.await.unwrap().status().is_success());
            deliveries.extend(arrived.iter().map(|at| at.duration_since(started)));
            // Drain the rest of this round (the reply's events) before the next one.
            let drains = clients.iter_mut().map(|client| async move {
                loop {
                    let message = client.next().await;
                    if message["payload"]["data"]["chatEvents"]["kind"] == "REPLY_COMPLETED" {
                        return;
                    }
                }
            });
            join_all(drains).await;
        }
        deliveries.sort();
        println!(
            "  user message to all {n} subscribers, {} deliveries: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            deliveries.len(),
            percentile(&deliveries, 0.5).as_secs_f64() * 1e3,
            percentile(&deliveries, 0.99).as_secs_f64() * 1e3,
            deliveries.last().unwrap().as_secs_f64() * 1e3,
        );
        drop(clients);
    }
}
