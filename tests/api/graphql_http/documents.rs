//! Documents: automatic persisted queries, introspection and suggestions, the allow-list.

use super::*;

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

    let production = spawn_app_with(|s| s.server.production = true).await;
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
        s.server.production = true;
        s.graphql.graphql_introspection = Some(true);
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
    let app = spawn_app_with(move |s| s.graphql.persisted_queries_file = Some(path)).await;
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
    settings.graphql.persisted_queries_file = Some(file.clone());
    settings.database.skip_migrations = true;
    assert!(api::startup::Application::build(settings).await.is_err());
    std::fs::remove_file(file).unwrap();
}
