//! Chat sessions: started, listed, ended and deleted, only by their owner.

use super::*;

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
