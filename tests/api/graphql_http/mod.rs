//! The GraphQL endpoint as the GraphQL-over-HTTP specification describes it, and bad requests.

mod bodies;
mod browsers;
mod documents;
mod limits;
mod protocol;

use serde_json::{Value, json};
use tests::{GqlResponse, TestApp, ok, read_gql, spawn_app, spawn_app_with};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json; charset=utf-8";
const JSON: &str = "application/json; charset=utf-8";

async fn post_raw(
    app: &TestApp,
    content_type: Option<&str>,
    accept: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> GqlResponse {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.address))
        .body(body);
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    read_gql(request.send().await.unwrap()).await
}

async fn get(
    app: &TestApp,
    query: &[(&str, &str)],
    accept: Option<&str>,
) -> (GqlResponse, Option<String>) {
    let mut request = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(query);
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    let response = request.send().await.unwrap();
    let allow = response
        .headers()
        .get("allow")
        .map(|v| v.to_str().unwrap().to_owned());
    (read_gql(response).await, allow)
}

fn assert_request_error(response: &GqlResponse, status: u16, case: &str) {
    assert_eq!(response.status, status, "{case}: {:?}", response.body);
    assert!(
        response.body.get("data").is_none(),
        "{case}: no data on a request error"
    );
    // One problem may be reported twice (validation, and the complexity count reading the
    // same argument); every error is the client's.
    let codes = response.error_codes();
    assert!(
        !codes.is_empty() && codes.iter().all(|c| c == "BAD_USER_INPUT"),
        "{case}: {:?}",
        response.body
    );
    assert!(
        !response.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .is_empty(),
        "{case}"
    );
}

fn sha256_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Sends `head` and then each chunk after its pause over a raw socket; returns everything the
/// server sent until it closed the connection (or 20 s passed, which fails the test).
async fn raw_exchange(app: &TestApp, head: &str, chunks: &[(u64, &str)]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = app.address.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(address).await.unwrap();
    socket.write_all(head.as_bytes()).await.unwrap();
    for (pause_ms, chunk) in chunks {
        tokio::time::sleep(std::time::Duration::from_millis(*pause_ms)).await;
        // The server may already have given up on the body and closed the socket.
        if socket.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
    }
    let mut answer = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(20),
        socket.read_to_end(&mut answer),
    )
    .await
    .expect("the server closed the connection")
    .ok();
    String::from_utf8_lossy(&answer).into_owned()
}

fn post_head(length: usize) -> String {
    format!(
        "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: {length}\r\nConnection: close\r\n\r\n"
    )
}
