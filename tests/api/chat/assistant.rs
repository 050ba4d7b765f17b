//! The assistant: red flags first, provider failures ending in a stored reply, context shared only when allowed.

use super::*;

#[tokio::test]
async fn red_flags_put_emergency_guidance_first_whatever_answers() {
    let fake = FakeAi::start(Behaviour::Good);
    for with_model in [false, true] {
        let url = fake.url.clone();
        let app = spawn_app_with(move |s| {
            if with_model {
                s.ai.ai_base_url = Some(url);
            }
        })
        .await;
        let token = user(&app, "flag@example.com").await;
        let id = start(&app, &token).await;
        let response = send(
            &app,
            &token,
            &id,
            "I have crushing chest pian and my left arm feels numb",
        )
        .await;
        let reply = &ok(&response)["sendChatMessage"]["reply"];
        let text = reply["content"].as_str().unwrap();
        assert!(
            text.starts_with(
                "If this is happening now or getting worse, call your local emergency number"
            ),
            "{text}"
        );
        assert_eq!(reply["messageType"], "SAFETY_NOTICE");
        assert_eq!(
            reply["metadata"]["safety"]["redFlags"],
            json!(["chest_pain"])
        );
        assert_eq!(
            reply["replyDetails"]["safety"],
            json!({ "redFlags": ["chest_pain"], "guidance": ["EMERGENCY"] })
        );
        if with_model {
            assert!(
                text.ends_with(STREAMED_REPLY),
                "the model answers after the guidance: {text}"
            );
        }
        let response = send(
            &app,
            &token,
            &id,
            "no chest pain today, just wondering about sleep",
        )
        .await;
        let reply = &ok(&response)["sendChatMessage"]["reply"];
        assert_eq!(reply["messageType"], "TEXT");
        let response = send(&app, &token, &id, "I want to end my life").await;
        let text = ok(&response)["sendChatMessage"]["reply"]["content"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            text.starts_with("If you are thinking about harming yourself"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn the_streaming_client_ends_every_provider_failure_in_a_stored_reply() {
    let fake = FakeAi::start(Behaviour::Good);
    let url = fake.url.clone();
    let app = spawn_app_with(move |s| {
        s.ai.ai_base_url = Some(url);
        s.ai.ai_timeout_secs = 2;
        s.ai.ai_retries = 1;
        s.ai.chat_messages_per_minute = 100;
    })
    .await;
    let token = user(&app, "stream@example.com").await;
    let id = start(&app, &token).await;

    let reply = |response: &GqlResponse| ok(response)["sendChatMessage"]["reply"].clone();
    let good = reply(&send(&app, &token, &id, "How should I stay hydrated?").await);
    assert_eq!(good["content"], STREAMED_REPLY);
    assert_eq!(good["metadata"]["provider"], "openai-compatible");
    assert_eq!(good["metadata"]["model"], "test-model");
    assert_eq!(
        good["metadata"]["tokens"],
        json!({ "prompt": 42, "completion": 11 })
    );
    assert!(good["metadata"].get("fallback").is_none());
    assert_eq!(
        (
            &good["replyDetails"]["provider"],
            &good["replyDetails"]["model"]
        ),
        (&json!("openai-compatible"), &json!("test-model"))
    );
    assert_eq!(
        good["replyDetails"]["tokens"],
        json!({ "prompt": 42, "completion": 11 })
    );
    assert!(good["replyDetails"]["fallback"].is_null());
    let sent = fake.requests().last().unwrap().clone();
    assert_eq!(sent["stream"], true);
    assert_eq!(sent["messages"][0]["role"], "system");
    assert_eq!(
        sent["messages"].as_array().unwrap().last().unwrap()["content"],
        "How should I stay hydrated?"
    );
    assert!(
        !sent.to_string().contains("api-key"),
        "no secrets in the request body"
    );

    // One 500, then success: the retry budget covers it.
    fake.set_behaviour(Behaviour::FailOnce);
    let before = fake.requests().len();
    let retried = reply(&send(&app, &token, &id, "and in summer?").await);
    assert_eq!(retried["content"], STREAMED_REPLY);
    assert_eq!(fake.requests().len() - before, 2);

    for (behaviour, why) in [
        (Behaviour::ServerError, "500"),
        (Behaviour::Garbage, "malformed"),
        (Behaviour::Slow, "time"),
        (Behaviour::Hang, "time"),
    ] {
        fake.set_behaviour(behaviour);
        let fallback = reply(&send(&app, &token, &id, "How much sleep do I need?").await);
        let text = fallback["content"].as_str().unwrap();
        assert!(
            text.contains("7 to 9 hours") && text.ends_with(NOT_ADVICE),
            "{behaviour:?}: {text}"
        );
        let reason = fallback["metadata"]["fallback"]["reason"]
            .as_str()
            .unwrap_or_default()
            .to_lowercase();
        assert!(reason.contains(why), "{behaviour:?}: {reason}");
        assert_eq!(fallback["metadata"]["fallback"]["to"], "built_in");
        assert_eq!(
            fallback["replyDetails"]["fallback"]["reason"],
            fallback["metadata"]["fallback"]["reason"]
        );
    }
    let read = session(&app, &token, &id).await;
    assert_eq!(read["totalMessages"], 12);
}

#[tokio::test]
async fn context_is_shared_with_the_model_only_when_the_user_allows_it() {
    let fake = FakeAi::start(Behaviour::Good);
    let url = fake.url.clone();
    let app = spawn_app_with(move |s| s.ai.ai_base_url = Some(url)).await;
    let token = user(&app, "context@example.com").await;
    app.graphql_as(Some(&token), "mutation { createHealthAssessment(input: { bmi: { heightCm: 170, weightKg: 95 } }) { assessment { id } } }", json!({})).await;
    let id = start(&app, &token).await;
    ok(&send(&app, &token, &id, "hello").await);
    let last = |fake: &FakeAi| {
        fake.requests()
            .iter()
            .rev()
            .find(|r| r["stream"] == true)
            .unwrap()
            .to_string()
    };
    assert!(
        !last(&fake).contains("Latest assessments"),
        "shared without consent"
    );
    app.execute("INSERT INTO app_settings (user_id, setting_key, setting_value, setting_type) SELECT id, 'ai_context_sharing', 'true', 'boolean' FROM users").await;
    let response = send(&app, &token, &id, "hello again").await;
    assert_eq!(
        ok(&response)["sendChatMessage"]["reply"]["metadata"]["contextShared"],
        true
    );
    assert_eq!(
        ok(&response)["sendChatMessage"]["reply"]["replyDetails"]["contextShared"],
        true
    );
    assert!(
        last(&fake).contains("Latest assessments: BMI"),
        "{}",
        last(&fake)
    );
}
