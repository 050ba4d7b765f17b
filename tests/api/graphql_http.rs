//! The GraphQL endpoint as the GraphQL-over-HTTP specification describes it, and bad requests.

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

#[tokio::test]
async fn accept_header_chooses_the_response_media_type() {
    let app = spawn_app().await;
    let body = r#"{"query":"{ __typename }"}"#;
    let cases = [
        (None, JSON),
        (Some("*/*"), JSON),
        (Some("application/json"), JSON),
        (
            Some("application/graphql-response+json"),
            GRAPHQL_RESPONSE_JSON,
        ),
        (
            Some("application/graphql-response+json, application/json;q=0.9"),
            GRAPHQL_RESPONSE_JSON,
        ),
        (
            Some("application/json, application/graphql-response+json;q=0.5"),
            JSON,
        ),
        (Some("text/html, */*;q=0.1"), JSON),
    ];
    for (accept, expected) in cases {
        let response = post_raw(&app, Some("application/json"), accept, body).await;
        assert_eq!(response.status, 200, "{accept:?}");
        assert_eq!(response.content_type, expected, "{accept:?}");
        assert_eq!(response.data()["__typename"], "Query");
    }
    let response = post_raw(&app, Some("application/json"), Some("text/html"), body).await;
    assert_eq!(response.status, 406);
}

#[tokio::test]
async fn bad_bodies_are_refused_with_graphql_errors() {
    let app = spawn_app().await;
    let cases: [(&str, Option<&str>, Vec<u8>, u16); 7] = [
        (
            "malformed JSON",
            Some("application/json"),
            b"{\"query\": ".to_vec(),
            400,
        ),
        ("empty body", Some("application/json"), Vec::new(), 400),
        (
            "JSON that is not a request",
            Some("application/json"),
            b"[1, 2, 3]".to_vec(),
            400,
        ),
        (
            "missing query",
            Some("application/json"),
            b"{\"variables\": {}}".to_vec(),
            400,
        ),
        (
            "missing content type",
            None,
            br#"{"query":"{ __typename }"}"#.to_vec(),
            415,
        ),
        (
            "text/plain",
            Some("text/plain"),
            br#"{"query":"{ __typename }"}"#.to_vec(),
            415,
        ),
        (
            "JSON in another charset",
            Some("application/json; charset=latin1"),
            br#"{"query":"{ __typename }"}"#.to_vec(),
            415,
        ),
    ];
    for (case, content_type, body, status) in cases {
        for accept in ["application/graphql-response+json", "application/json"] {
            let response = post_raw(&app, content_type, Some(accept), body.clone()).await;
            assert_request_error(&response, status, case);
        }
    }
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_and_the_server_keeps_serving() {
    let app = spawn_app().await;
    let padding = "x".repeat(10 * 1024 * 1024);
    let body =
        json!({ "query": "{ __typename }", "variables": { "padding": padding } }).to_string();
    let response = post_raw(&app, Some("application/json"), None, body).await;
    assert_request_error(&response, 413, "10 MB body");
    assert!(
        response.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("exceeds")
    );

    let response = app.graphql("{ __typename }", json!({})).await;
    assert_eq!(response.status, 200);
}

#[tokio::test]
async fn the_body_limit_is_configurable() {
    let app = tests::spawn_app_with(|s| s.graphql_body_limit = 64).await;
    let small = post_raw(
        &app,
        Some("application/json"),
        None,
        r#"{"query":"{ __typename }"}"#,
    )
    .await;
    assert_eq!(small.status, 200);
    let large = post_raw(
        &app,
        Some("application/json"),
        None,
        format!(
            r#"{{"query":"{{ __typename }}","x":"{}"}}"#,
            "y".repeat(100)
        ),
    )
    .await;
    assert_request_error(&large, 413, "over a 64-byte limit");
}

#[tokio::test]
async fn invalid_documents_are_400_without_data_under_graphql_response_json() {
    let app = spawn_app().await;
    let cases = [
        ("syntax error", "{ me { id ", json!({})),
        ("unknown field", "{ me { id nope } }", json!({})),
        ("unknown root field", "{ patients { id } }", json!({})),
        (
            "wrong variable type",
            "query($n: Int) { me { healthAssessments(first: $n) { totalCount } } }",
            json!({ "n": "ten" }),
        ),
    ];
    for (case, query, variables) in cases {
        let response = app.graphql(query, variables.clone()).await;
        assert_request_error(&response, 400, case);

        // The same request under application/json is a well-formed GraphQL response: 200.
        let body = json!({ "query": query, "variables": variables }).to_string();
        let response = post_raw(
            &app,
            Some("application/json"),
            Some("application/json"),
            body,
        )
        .await;
        assert_eq!(response.status, 200, "{case}");
        let codes = response.error_codes();
        assert!(
            !codes.is_empty() && codes.iter().all(|c| c == "BAD_USER_INPUT"),
            "{case}: {:?}",
            response.body
        );
    }

    let shallow = tests::spawn_app_with(|s| s.graphql_depth_limit = 3).await;
    let deep = "{ me { chatSessions { edges { node { messages { edges { node { id } } } } } } } }";
    assert_eq!(
        app.graphql(deep, json!({})).await.status,
        200,
        "within the default limit"
    );
    let response = shallow.graphql(deep, json!({})).await;
    assert_request_error(&response, 400, "deeper than the limit");
}

#[tokio::test]
async fn get_runs_queries_and_refuses_mutations() {
    let app = spawn_app().await;
    let (response, _) = get(&app, &[("query", "{ __typename }")], None).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.content_type, JSON);
    assert_eq!(response.data()["__typename"], "Query");

    let (response, _) = get(
        &app,
        &[
            (
                "query",
                "query Q($n: Int) { me { healthAssessments(first: $n) { totalCount } } }",
            ),
            ("variables", r#"{"n": 1}"#),
        ],
        Some("application/graphql-response+json"),
    )
    .await;
    assert_eq!(response.status, 200, "{:?}", response.body);
    assert_eq!(response.content_type, GRAPHQL_RESPONSE_JSON);

    for (query, name) in [
        ("mutation { __typename }", None),
        (
            "query A { __typename } mutation B { __typename }",
            Some("B"),
        ),
    ] {
        let mut params = vec![("query", query)];
        if let Some(name) = name {
            params.push(("operationName", name));
        }
        let (response, allow) = get(&app, &params, None).await;
        assert_eq!(response.status, 405, "{query}");
        assert_eq!(allow.as_deref(), Some("POST"));
        assert_eq!(response.error_codes(), ["BAD_USER_INPUT"]);
    }

    let (response, _) = get(&app, &[], None).await;
    assert_request_error(&response, 400, "GET without query");
    let (response, _) = get(
        &app,
        &[("query", "{ __typename }"), ("variables", "[1]")],
        None,
    )
    .await;
    assert_request_error(&response, 400, "GET with non-object variables");
}

#[tokio::test]
async fn page_arguments_are_checked_and_name_the_field() {
    let app = spawn_app().await;
    let user = app.create_user("pages@example.com").await;
    let token = app.sign_in(&user).await;
    let cases = [
        (
            "{ me { healthAssessments(first: 101) { totalCount } } }",
            "first",
        ),
        (
            "{ me { healthAssessments(first: -1) { totalCount } } }",
            "first",
        ),
        (
            "{ me { medicalReports(last: 500) { totalCount } } }",
            "last",
        ),
        (
            "{ me { chatSessions(first: 1, last: 1) { totalCount } } }",
            "last",
        ),
        (
            r#"{ me { healthAssessments(after: "bm90LWEtY3Vyc29y") { totalCount } } }"#,
            "after",
        ),
        (
            r#"{ me { sessions(before: "!!") { totalCount } } }"#,
            "before",
        ),
    ];
    for (query, field) in cases {
        let response = app.graphql_as(Some(&token), query, json!({})).await;
        assert_eq!(
            response.status, 200,
            "{query}: a field error still returns data"
        );
        assert_eq!(response.error_codes(), ["BAD_USER_INPUT"], "{query}");
        assert_eq!(
            response.body["errors"][0]["extensions"]["field"], field,
            "{query}"
        );
        assert_eq!(response.data()["me"], Value::Null, "{query}");
    }
}

#[tokio::test]
async fn request_ids_are_echoed_or_issued() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(format!("{}/healthz", app.address))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "abc-123");
    let response = app
        .client
        .get(format!("{}/healthz", app.address))
        .header("x-request-id", "bad id\twith spaces")
        .send()
        .await
        .unwrap();
    let issued = response.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(
        issued.len(),
        36,
        "a fresh UUID replaces an unusable id: {issued}"
    );
}

#[tokio::test]
async fn graphiql_is_served_from_this_server_only() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(format!("{}/graphiql", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.starts_with("default-src 'self';"), "{csp}");
    for allowed_elsewhere in ["http:", "https:", "unsafe-inline", "unsafe-eval", "*"] {
        assert!(
            !csp.contains(allowed_elsewhere),
            "{allowed_elsewhere} in {csp}"
        );
    }
    let page = response.text().await.unwrap();
    assert!(!page.contains("https://"), "nothing from another origin");
    assert!(!page.contains("<script>"), "no inline script");
    // Every file the page names is served, with a type, a validator and compression.
    let files: Vec<&str> = page
        .split('"')
        .filter(|part| part.starts_with("/graphiql/assets/"))
        .collect();
    assert_eq!(files.len(), 7, "{files:?}");
    for file in files {
        let response = app
            .client
            .get(format!("{}{file}", app.address))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{file}");
        let headers = response.headers().clone();
        let media = headers["content-type"].to_str().unwrap();
        assert!(
            media.starts_with("text/javascript") || media.starts_with("text/css"),
            "{file}: {media}"
        );
        assert_eq!(headers["cache-control"], "no-cache", "{file}");
        let etag = headers["etag"].to_str().unwrap().to_owned();
        let again = app
            .client
            .get(format!("{}{file}", app.address))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{file}");
        if file.ends_with("graphiql.min.js") {
            assert_eq!(headers["content-encoding"], "gzip");
            assert!(response.bytes().await.unwrap().len() > 100_000);
        }
    }
    for missing in [
        "/graphiql/assets/nope.js",
        "/graphiql/assets/..%2Fsecret",
        "/graphiql/assets/index.html",
    ] {
        let response = app
            .client
            .get(format!("{}{missing}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{missing}");
    }
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    for (method, path) in [
        ("POST", "/graphql"),
        ("GET", "/graphql?query={__typename}"),
        ("GET", "/healthz"),
        ("GET", "/files/reports/1"),
        ("GET", "/nowhere"),
    ] {
        let request = if method == "POST" {
            app.client
                .post(format!("{}{path}", app.address))
                .header("content-type", "application/json")
                .body(r#"{"query":"{ __typename }"}"#)
        } else {
            app.client.get(format!("{}{path}", app.address))
        };
        let response = request.send().await.unwrap();
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(
            headers["content-security-policy"], "default-src 'none'; frame-ancestors 'none'",
            "{path}"
        );
    }
    let graphiql = app
        .client
        .get(format!("{}/graphiql", app.address))
        .send()
        .await
        .unwrap();
    let csp = graphiql.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("connect-src 'self'"), "{csp}");
}

#[tokio::test]
async fn cors_answers_listed_origins_only() {
    let app =
        spawn_app_with(|s| s.cors_allowed_origins = vec!["https://app.example.com".into()]).await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.address))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .send()
    };
    let allowed = preflight("https://app.example.com").await.unwrap();
    assert!(allowed.status().is_success());
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    let methods = allowed.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(methods.contains("POST"), "{methods}");
    assert!(
        allowed
            .headers()
            .get("access-control-allow-credentials")
            .is_none()
    );
    let refused = preflight("https://evil.example").await.unwrap();
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );

    for (origin, expected) in [
        ("https://app.example.com", true),
        ("https://evil.example", false),
    ] {
        let response = app
            .client
            .post(format!("{}/graphql", app.address))
            .header("origin", origin)
            .header("content-type", "application/json")
            .body(r#"{"query":"{ __typename }"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response
                .headers()
                .get("access-control-allow-origin")
                .is_some(),
            expected,
            "{origin}"
        );
    }
    // With no allow-list (the default) nobody gets CORS headers.
    let closed = spawn_app().await;
    let response = closed
        .client
        .post(format!("{}/graphql", closed.address))
        .header("origin", "https://app.example.com")
        .header("content-type", "application/json")
        .body(r#"{"query":"{ __typename }"}"#)
        .send()
        .await
        .unwrap();
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn preflights_allow_the_headers_real_graphql_clients_send() {
    let app =
        spawn_app_with(|s| s.cors_allowed_origins = vec!["https://app.example.com".into()]).await;
    let preflight = |origin: &'static str, headers: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.address))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", headers)
            .send()
    };
    for header in [
        "apollographql-client-name",
        "apollographql-client-version",
        "apollo-require-preflight",
        "x-apollo-operation-name",
        "traceparent",
        "tracestate",
    ] {
        let allowed = preflight("https://app.example.com", header).await.unwrap();
        assert!(
            allowed.status().is_success(),
            "{header}: {}",
            allowed.status()
        );
        let allowed_headers = allowed.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .to_ascii_lowercase();
        assert!(
            allowed_headers.contains(header),
            "{header}: {allowed_headers}"
        );
        let refused = preflight("https://evil.example", header).await.unwrap();
        assert!(
            refused
                .headers()
                .get("access-control-allow-origin")
                .is_none(),
            "{header} from another origin"
        );
    }
    // Apollo Client with a name and version set sends these with every request.
    let apollo = preflight(
        "https://app.example.com",
        "authorization, content-type, apollographql-client-name, apollographql-client-version",
    )
    .await
    .unwrap();
    assert!(apollo.status().is_success());
    // A header nobody listed is still refused.
    let unknown = preflight("https://app.example.com", "x-not-listed")
        .await
        .unwrap();
    assert!(!unknown.status().is_success(), "{}", unknown.status());

    // The list is configurable.
    let narrow = spawn_app_with(|s| {
        s.cors_allowed_origins = vec!["https://app.example.com".into()];
        s.cors_allowed_headers = vec!["x-custom".into()];
    })
    .await;
    let response = narrow
        .client
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/graphql", narrow.address),
        )
        .header("origin", "https://app.example.com")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "x-custom, authorization")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
}

#[tokio::test]
async fn abusive_operations_are_refused_before_they_run() {
    let app = spawn_app_with(|s| {
        s.graphql_max_aliases = 5;
        s.graphql_max_root_fields = 3;
    })
    .await;
    let user = app.create_user("limits@example.com").await;
    let token = app.sign_in(&user).await;
    let refused = |response: &GqlResponse, needle: &str| {
        assert_eq!(
            response.error_codes(),
            ["BAD_USER_INPUT"],
            "{:?}",
            response.body
        );
        let message = response.body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(needle), "{message}");
    };
    // A connection's cost is its page size times what it selects: 100 x 100 messages is too much.
    let wide = "{ me { chatSessions(first: 100) { edges { node { messages(first: 100) { edges { node { id content createdAt } } } } } } } }";
    refused(
        &app.graphql_as(Some(&token), wide, json!({})).await,
        "complex",
    );
    let narrow = "{ me { chatSessions(first: 10) { edges { node { messages(first: 10) { edges { node { id content createdAt } } } } } } } }";
    ok(&app.graphql_as(Some(&token), narrow, json!({})).await);
    // Aliases, here multiplying a cheap field.
    let aliases = "{ me { a: email b: email c: email d: email e: email f: email } }";
    refused(
        &app.graphql_as(Some(&token), aliases, json!({})).await,
        "6 aliases",
    );
    // Root fields, also through a fragment.
    let roots =
        "query { me { id } ...F } fragment F on Query { a: me { id } b: me { id } c: me { id } }";
    refused(
        &app.graphql_as(Some(&token), roots, json!({})).await,
        "4 root fields",
    );
}

#[tokio::test]
async fn a_request_that_runs_too_long_is_stopped_with_a_clear_error() {
    use tests::fake_ai::{Behaviour, FakeAi};
    let fake = FakeAi::start(Behaviour::Slow);
    let url = fake.url.clone();
    let app = spawn_app_with(move |s| {
        s.graphql_timeout_secs = 1;
        s.ai_base_url = Some(url);
        s.ai_timeout_secs = 10;
    })
    .await;
    let user = app.create_user("slow@example.com").await;
    let token = app.sign_in(&user).await;
    let response = app
        .graphql_as(
            Some(&token),
            "mutation { startChatSession { session { id } } }",
            json!({}),
        )
        .await;
    let id = ok(&response)["startChatSession"]["session"]["id"].clone();
    let started = std::time::Instant::now();
    let response = app
        .graphql_as(
            Some(&token),
            "mutation($id: ID!) { sendChatMessage(sessionId: $id, content: \"hello\") { reply { id } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(response.status, 504);
    assert_eq!(response.error_codes(), ["INTERNAL"]);
    assert!(
        response.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("longer than 1 s")
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "stopped, not hung"
    );
    // The reply is produced by its own task and still arrives.
    for _ in 0..100 {
        if app.scalar_i64("SELECT count(*) FROM chat_messages").await == 2 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the reply was not stored after the request was stopped");
}

fn sha256_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[tokio::test]
async fn automatic_persisted_queries_follow_the_apollo_protocol() {
    let app = spawn_app().await;
    let query = "{ __typename }";
    let hash = sha256_hex(query);
    let persisted = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
    let post = |body: Value| {
        post_raw(
            &app,
            Some("application/json"),
            Some("application/json"),
            body.to_string(),
        )
    };
    // Unknown hash: the client is told to send the query.
    let miss = post(json!({ "extensions": persisted })).await;
    assert_eq!(miss.body["errors"][0]["message"], "PersistedQueryNotFound");
    // Query and hash: run and remembered; then the hash alone is enough, over POST or GET.
    let register = post(json!({ "query": query, "extensions": persisted })).await;
    assert_eq!(register.body["data"]["__typename"], "Query");
    let hit = post(json!({ "extensions": persisted })).await;
    assert_eq!(hit.body["data"]["__typename"], "Query", "{:?}", hit.body);
    let extensions = persisted.to_string();
    let (by_get, _) = get(&app, &[("extensions", extensions.as_str())], None).await;
    assert_eq!(by_get.body["data"]["__typename"], "Query");
    // A hash that does not match the query is refused.
    let wrong =
        json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256_hex("{ me { id } }") } });
    let response = post(json!({ "query": query, "extensions": wrong })).await;
    assert!(
        response.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("does not match")
    );
    // A persisted mutation cannot be run through GET by its hash.
    let mutation = "mutation { logout { revokedCount } }";
    let mutation_ext =
        json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256_hex(mutation) } });
    post(json!({ "query": mutation, "extensions": mutation_ext })).await;
    let extensions = mutation_ext.to_string();
    let (by_get, _) = get(&app, &[("extensions", extensions.as_str())], None).await;
    let message = by_get.body["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("only queries may be sent with GET"),
        "{message}"
    );
    // Still no query at all without the extension.
    let response = post(json!({ "variables": {} })).await;
    assert_eq!(response.status, 400);
}

#[tokio::test]
async fn introspection_and_suggestions_are_on_locally_and_off_in_production() {
    let introspect = "{ __schema { queryType { name } } }";
    let typo = "{ me { emal } }";
    let local = spawn_app().await;
    ok(&local.graphql(introspect, json!({})).await);
    let response = local.graphql(typo, json!({})).await;
    let message = response.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("Did you mean"), "{message}");

    let production = spawn_app_with(|s| s.production = true).await;
    // With introspection off, async-graphql answers `__schema` with null.
    let response = production.graphql(introspect, json!({})).await;
    assert_eq!(
        response.body["data"]["__schema"],
        Value::Null,
        "{:?}",
        response.body
    );
    let response = production.graphql(typo, json!({})).await;
    let message = response.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!message.contains("Did you mean"), "{message}");
    // An explicit setting wins over the profile.
    let open = spawn_app_with(|s| {
        s.production = true;
        s.graphql_introspection = Some(true);
    })
    .await;
    let response = open.graphql(introspect, json!({})).await;
    assert_eq!(ok(&response)["__schema"]["queryType"]["name"], "Query");
}

#[tokio::test]
async fn with_an_allow_list_only_persisted_operations_run() {
    let listed = "query Typename { __typename }";
    let hash = sha256_hex(listed);
    let file = std::env::temp_dir().join(format!("echo-persisted-{}.json", uuid::Uuid::new_v4()));
    std::fs::write(&file, json!({ hash.clone(): listed }).to_string()).unwrap();
    let path = file.clone();
    let app = spawn_app_with(move |s| s.persisted_queries_file = Some(path)).await;
    let post = |body: Value| {
        post_raw(
            &app,
            Some("application/json"),
            Some("application/json"),
            body.to_string(),
        )
    };

    let by_text = post(json!({ "query": listed })).await;
    assert_eq!(by_text.body["data"]["__typename"], "Query");
    let by_hash =
        post(json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } } }))
            .await;
    assert_eq!(
        by_hash.body["data"]["__typename"], "Query",
        "{:?}",
        by_hash.body
    );
    let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } }).to_string();
    let (by_get, _) = get(&app, &[("extensions", extensions.as_str())], None).await;
    assert_eq!(by_get.body["data"]["__typename"], "Query");

    let other = post(json!({ "query": "{ __typename }" })).await;
    assert_eq!(other.status, 400);
    assert_eq!(other.error_codes(), ["BAD_USER_INPUT"]);
    assert!(
        other.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("persisted operations only")
    );
    let unknown = post(json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": sha256_hex("{ me { id } }") } } })).await;
    assert_eq!(unknown.status, 400);

    // The WebSocket admits the same operations.
    let user = app.create_user("persisted@example.com").await;
    let token = app.sign_in(&user).await;
    let mut socket = tests::ws::WsClient::signed_in(&app.address, &token).await;
    socket.subscribe("a", listed, json!({})).await;
    assert_eq!(socket.next().await["type"], "next");
    assert_eq!(
        socket.next().await,
        json!({ "id": "a", "type": "complete" })
    );
    socket.subscribe("b", "{ __typename }", json!({})).await;
    let refused = socket.next().await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(
        refused["payload"][0]["extensions"]["code"],
        "BAD_USER_INPUT"
    );

    // A list whose hash does not match its text stops the server from starting.
    std::fs::write(
        &file,
        json!({ sha256_hex("something else"): listed }).to_string(),
    )
    .unwrap();
    let mut settings = api::config::Settings::for_database(app.database_url.clone());
    settings.persisted_queries_file = Some(file.clone());
    settings.skip_migrations = true;
    assert!(api::startup::Application::build(settings).await.is_err());
    std::fs::remove_file(file).unwrap();
}

#[tokio::test]
async fn every_limit_holds_at_its_bound_and_refuses_one_past_it() {
    let app = spawn_app_with(|s| {
        s.graphql_body_limit = 2000;
        s.graphql_depth_limit = 5;
        s.graphql_complexity_limit = 31;
        s.graphql_max_aliases = 4;
        s.graphql_max_root_fields = 2;
    })
    .await;
    let user = app.create_user("bounds@example.com").await;
    let token = app.sign_in(&user).await;
    let run = |query: &'static str| app.graphql_as(Some(&token), query, json!({}));
    let refused = |response: &GqlResponse, what: &str| {
        assert!(
            !response.error_codes().is_empty() && response.body["data"].is_null(),
            "{what}: {:?}",
            response.body
        );
        assert_ne!(response.status, 500, "{what}");
    };

    // Depth: me > chatSessions > edges > node > id is 5 levels.
    ok(&run("{ me { chatSessions(first: 1) { edges { node { id } } } } }").await);
    refused(
        &run("{ me { chatSessions(first: 1) { edges { node { messages(first: 1) { totalCount } } } } } }").await,
        "depth 6",
    );
    // Complexity: 1 (me) + first x 3 (edges > node > id): 31 at first 10, 34 at first 11.
    ok(&run("{ me { chatSessions(first: 10) { edges { node { id } } } } }").await);
    refused(
        &run("{ me { chatSessions(first: 11) { edges { node { id } } } } }").await,
        "complexity 34",
    );
    // Aliases.
    ok(&run("{ me { a: id b: id c: id d: id } }").await);
    refused(
        &run("{ me { a: id b: id c: id d: id e: id } }").await,
        "5 aliases",
    );
    // Root fields.
    ok(&run("{ me { id } __typename }").await);
    refused(
        &run("{ me { id } __typename x: __typename }").await,
        "3 root fields",
    );
    // Page sizes (100 at most): 100 passes in pagination's unit test `page_sizes_are_bounded`,
    // 101 is refused in page_arguments_are_checked_and_name_the_field.
    // Body size: exactly the limit passes, one byte more is 413.
    let body_of = |length: usize| {
        let mut body = json!({ "query": "{ __typename }" }).to_string();
        body.push_str(&" ".repeat(length - body.len()));
        body
    };
    let at = post_raw(&app, Some("application/json"), None, body_of(2000)).await;
    assert_eq!(at.status, 200, "{:?}", at.body);
    let over = post_raw(&app, Some("application/json"), None, body_of(2001)).await;
    assert_request_error(&over, 413, "one byte over");
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

#[tokio::test]
async fn a_stalled_body_is_answered_408_and_its_connection_closed() {
    let app = spawn_app_with(|s| {
        s.body_idle_timeout_secs = 1;
        s.body_min_bytes_per_sec = 1000;
    })
    .await;
    // One byte of a promised 1,000, then nothing: the idle timeout.
    let mut head = post_head(1000);
    head = head.replace("Connection: close\r\n", "");
    let answer = raw_exchange(&app, &head, &[(0, "{")]).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");

    // A byte every 300 ms is never idle for a second, but 1,000 bytes at 1,000 B/s plus the
    // second of grace is 2 s: the total deadline.
    let drip: Vec<(u64, &str)> = (0..20).map(|_| (300, " ")).collect();
    let started = std::time::Instant::now();
    let answer = raw_exchange(&app, &post_head(1000), &drip).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(6),
        "the deadline, not the drip's end"
    );

    // The server still answers others.
    let response = app.graphql("{ __typename }", json!({})).await;
    assert_eq!(response.data()["__typename"], "Query");
}

#[tokio::test]
async fn a_slow_but_steady_body_is_answered() {
    let app = spawn_app_with(|s| {
        s.body_idle_timeout_secs = 1;
        s.body_min_bytes_per_sec = 10;
    })
    .await;
    let body = r#"{"query": "{ __typename }"}                  "#;
    // Four pieces 600 ms apart: 1.8 s in all, never a second idle, within 1 s + 46 B at 10 B/s.
    let pieces: Vec<(u64, &str)> = vec![
        (600, &body[..10]),
        (600, &body[10..20]),
        (600, &body[20..30]),
        (600, &body[30..]),
    ];
    let answer = raw_exchange(&app, &post_head(body.len()), &pieces).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#""__typename":"Query""#), "{answer}");
}
