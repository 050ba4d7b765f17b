//! Operation limits: abusive operations, the timeout, every limit at its bound.

use super::*;

#[tokio::test]
async fn abusive_operations_are_refused_before_they_run() {
    let app = spawn_app_with(|s| {
        s.graphql.graphql_max_aliases = 5;
        s.graphql.graphql_max_root_fields = 3;
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
        s.graphql.graphql_timeout_secs = 1;
        s.ai.ai_base_url = Some(url);
        s.ai.ai_timeout_secs = 10;
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

#[tokio::test]
async fn every_limit_holds_at_its_bound_and_refuses_one_past_it() {
    let app = spawn_app_with(|s| {
        s.graphql.graphql_body_limit = 2000;
        s.graphql.graphql_depth_limit = 5;
        s.graphql.graphql_complexity_limit = 31;
        s.graphql.graphql_max_aliases = 4;
        s.graphql.graphql_max_root_fields = 2;
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
