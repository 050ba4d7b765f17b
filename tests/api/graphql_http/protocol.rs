//! The GraphQL-over-HTTP rules: media types, bad bodies and documents, GET for queries only, argument errors, request ids.

use super::*;

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

    let shallow = tests::spawn_app_with(|s| s.graphql.graphql_depth_limit = 3).await;
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
