//! What browsers see: GraphiQL from this server only, security headers, CORS and preflights.

use super::*;

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
        spawn_app_with(|s| s.server.cors_allowed_origins = vec!["https://app.example.com".into()])
            .await;
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
        spawn_app_with(|s| s.server.cors_allowed_origins = vec!["https://app.example.com".into()])
            .await;
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
        s.server.cors_allowed_origins = vec!["https://app.example.com".into()];
        s.server.cors_allowed_headers = vec!["x-custom".into()];
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
