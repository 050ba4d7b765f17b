//! Typed app settings: every known setting with its default, validation per type and rule,
//! reset, custom settings and their limits, and upserts under concurrency.

use serde_json::{Value, json};
use tests::{GqlResponse, TestApp, ok, spawn_app};

const SET: &str = "mutation($key: String!, $value: String!, $type: SettingType) { setSetting(key: $key, value: $value, type: $type) { setting { key value type isDefault updatedAt } } }";
const RESET: &str =
    "mutation($key: String!) { resetSetting(key: $key) { setting { key value isDefault } } }";
const ALL: &str = "{ me { settings { key value type isDefault defaultValue allowedValues } } }";

async fn signed_in(app: &TestApp) -> String {
    let user = app.create_user("settings@example.com").await;
    app.sign_in(&user).await
}

async fn set(app: &TestApp, token: &str, key: &str, value: &str) -> GqlResponse {
    app.graphql_as(Some(token), SET, json!({ "key": key, "value": value }))
        .await
}

async fn all(app: &TestApp, token: &str) -> Vec<Value> {
    let response = app.graphql_as(Some(token), ALL, json!({})).await;
    ok(&response)["me"]["settings"].as_array().unwrap().clone()
}

#[tokio::test]
async fn every_known_setting_has_its_default_until_set_and_after_reset() {
    let app = spawn_app().await;
    let token = signed_in(&app).await;
    let settings = all(&app, &token).await;
    let keys: Vec<&str> = settings
        .iter()
        .map(|s| s["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "theme",
            "units",
            "language",
            "notifications_email",
            "notifications_push",
            "ai_context_sharing",
            "reminder_schedule"
        ]
    );
    assert!(settings.iter().all(|s| s["isDefault"] == true));
    let theme = &settings[0];
    assert_eq!(theme["value"], "system");
    assert_eq!(theme["allowedValues"], json!(["light", "dark", "system"]));
    assert_eq!(
        settings[5]["value"], "false",
        "AI context sharing is off by default"
    );

    let response = set(&app, &token, "theme", " DARK ").await;
    let stored = &ok(&response)["setSetting"]["setting"];
    assert_eq!(
        (stored["value"].clone(), stored["isDefault"].clone()),
        (json!("dark"), json!(false))
    );
    assert!(stored["updatedAt"].is_string());
    assert_eq!(all(&app, &token).await[0]["value"], "dark");

    let response = app
        .graphql_as(Some(&token), RESET, json!({ "key": "theme" }))
        .await;
    assert_eq!(
        ok(&response)["resetSetting"]["setting"],
        json!({ "key": "theme", "value": "system", "isDefault": true })
    );
    assert_eq!(app.scalar_i64("SELECT count(*) FROM app_settings").await, 0);
}

#[tokio::test]
async fn values_are_validated_against_type_and_registry() {
    let app = spawn_app().await;
    let token = signed_in(&app).await;
    let good = [
        ("units", "imperial", "imperial"),
        ("language", "pt-BR", "pt-BR"),
        ("notifications_email", "False", "false"),
        ("ai_context_sharing", "true", "true"),
        (
            "reminder_schedule",
            r#"{"timezone":"Europe/Berlin","reminders":[{"label":"Pills","time":"08:00","days":["mon","wed"]}]}"#,
            r#"{"reminders":[{"days":["mon","wed"],"label":"Pills","time":"08:00"}],"timezone":"Europe/Berlin"}"#,
        ),
    ];
    for (key, value, stored) in good {
        let response = set(&app, &token, key, value).await;
        assert_eq!(
            ok(&response)["setSetting"]["setting"]["value"],
            stored,
            "{key}"
        );
    }
    let bad = [
        ("theme", "purple", "one of light, dark, system"),
        ("units", "", "one of metric, imperial"),
        ("language", "not a tag!", "BCP 47"),
        ("notifications_push", "yes", "true or false"),
        (
            "reminder_schedule",
            r#"{"timezone":"UTC","reminders":[{"label":"x","time":"8am","days":["mon"]}]}"#,
            "HH:MM",
        ),
        ("reminder_schedule", "not json", "documented shape"),
        ("favourite_colour", "red", "custom."),
    ];
    for (key, value, why) in bad {
        let response = set(&app, &token, key, value).await;
        assert_eq!(response.error_codes(), ["BAD_USER_INPUT"], "{key}={value}");
        let message = response.body["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.contains(key) && message.contains(why),
            "{key}: {message}"
        );
    }
    let wrong_type = app
        .graphql_as(
            Some(&token),
            SET,
            json!({ "key": "theme", "value": "dark", "type": "INTEGER" }),
        )
        .await;
    assert_eq!(wrong_type.error_codes(), ["BAD_USER_INPUT"]);
    let not_a_string = app
        .graphql_as(Some(&token), SET, json!({ "key": "theme", "value": 5 }))
        .await;
    assert_eq!(not_a_string.error_codes(), ["BAD_USER_INPUT"]);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM app_settings").await,
        5,
        "refused values store nothing"
    );
}

#[tokio::test]
async fn custom_settings_are_typed_bounded_and_capped() {
    let app = spawn_app().await;
    let token = signed_in(&app).await;
    let typed =
        |key: &str, value: &str, kind: &str| json!({ "key": key, "value": value, "type": kind });
    let response = app
        .graphql_as(
            Some(&token),
            SET,
            typed("custom.dashboard.cards", "3", "INTEGER"),
        )
        .await;
    assert_eq!(ok(&response)["setSetting"]["setting"]["type"], "INTEGER");
    let response = app
        .graphql_as(
            Some(&token),
            SET,
            typed("custom.layout", r#"{ "a": [1, 2] }"#, "JSON"),
        )
        .await;
    assert_eq!(
        ok(&response)["setSetting"]["setting"]["value"],
        r#"{"a":[1,2]}"#
    );
    for (key, value, kind) in [
        ("custom.count", "three", "INTEGER"),
        ("custom.ratio", "inf", "FLOAT"),
        ("custom.flag", "maybe", "BOOLEAN"),
        ("custom.obj", "{", "JSON"),
        ("custom.", "x", "STRING"),
        ("custom.Bad Key", "x", "STRING"),
    ] {
        let response = app
            .graphql_as(Some(&token), SET, typed(key, value, kind))
            .await;
        assert_eq!(response.error_codes(), ["BAD_USER_INPUT"], "{key}={value}");
    }
    let long_key = format!("custom.{}", "k".repeat(60));
    assert_eq!(
        set(&app, &token, &long_key, "x").await.error_codes(),
        ["BAD_USER_INPUT"]
    );
    assert_eq!(
        set(&app, &token, "custom.big", &"v".repeat(2049))
            .await
            .error_codes(),
        ["BAD_USER_INPUT"]
    );

    // Up to 50 custom settings; the 51st is refused, changing an existing one is not.
    for i in 2..50 {
        ok(&set(&app, &token, &format!("custom.k{i}"), "v").await);
    }
    let over = set(&app, &token, "custom.one_too_many", "v").await;
    assert_eq!(over.error_codes(), ["BAD_USER_INPUT"]);
    assert_eq!(over.body["errors"][0]["extensions"]["field"], "key");
    ok(&set(&app, &token, "custom.k2", "changed").await);
    let settings = all(&app, &token).await;
    assert_eq!(settings.len(), 7 + 50);
    assert_eq!(
        settings[7]["key"], "custom.dashboard.cards",
        "custom settings follow, by key"
    );

    // Resetting a custom setting removes it.
    let response = app
        .graphql_as(Some(&token), RESET, json!({ "key": "custom.k2" }))
        .await;
    assert_eq!(ok(&response)["resetSetting"]["setting"], Value::Null);
    assert_eq!(all(&app, &token).await.len(), 7 + 49);
    let unknown = app
        .graphql_as(Some(&token), RESET, json!({ "key": "nope" }))
        .await;
    assert_eq!(unknown.error_codes(), ["BAD_USER_INPUT"]);
}

#[tokio::test]
async fn concurrent_upserts_leave_one_row_and_move_updated_at() {
    let app = spawn_app().await;
    let token = signed_in(&app).await;
    let first = set(&app, &token, "theme", "light").await;
    let first_at = ok(&first)["setSetting"]["setting"]["updatedAt"]
        .as_str()
        .unwrap()
        .to_owned();
    let writes = (0..20).map(|i| {
        let (app, token) = (&app, &token);
        async move {
            set(
                app,
                token,
                "theme",
                if i % 2 == 0 { "dark" } else { "light" },
            )
            .await
        }
    });
    for response in futures_util::future::join_all(writes).await {
        ok(&response);
    }
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM app_settings WHERE setting_key = 'theme'")
            .await,
        1
    );
    let latest = app
        .scalar_i64("SELECT (extract(epoch FROM updated_at) * 1000000)::bigint FROM app_settings")
        .await;
    let first_at = chrono::DateTime::parse_from_rfc3339(&first_at)
        .unwrap()
        .timestamp_micros();
    assert!(
        latest > first_at,
        "updated_at moved: {first_at} -> {latest}"
    );
    // Concurrent first writes of a custom key also end in one row.
    let writes = (0..10).map(|_| {
        let (app, token) = (&app, &token);
        async move { set(app, token, "custom.race", "v").await }
    });
    for response in futures_util::future::join_all(writes).await {
        ok(&response);
    }
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM app_settings WHERE setting_key = 'custom.race'")
            .await,
        1
    );
}

#[tokio::test]
async fn upcoming_reminders_follow_the_zone_across_a_daylight_saving_change() {
    let app = spawn_app().await;
    // Saturday 2027-03-27 12:00 UTC; Berlin moves its clocks from 02:00 to 03:00 on Sunday.
    let target: chrono::DateTime<chrono::Utc> = "2027-03-27T12:00:00Z".parse().unwrap();
    app.clock.advance(target - chrono::Utc::now());
    let token = signed_in(&app).await;

    let nowhere = r#"{"timezone":"Europe/Nowhere","reminders":[]}"#;
    let refused = set(&app, &token, "reminder_schedule", nowhere).await;
    assert_eq!(refused.error_codes(), ["BAD_USER_INPUT"]);
    let message = refused.body["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("reminder_schedule") && message.contains("IANA"),
        "{message}"
    );

    let schedule = r#"{"timezone":"Europe/Berlin","reminders":[
        {"label":"Blood pressure","time":"02:30","days":["sun"]},
        {"label":"Walk","time":"08:00","days":["sat","sun"]}]}"#;
    ok(&set(&app, &token, "reminder_schedule", schedule).await);
    let query = "query($first: Int!) { me { upcomingReminders(first: $first) { label at localTime timezone } } }";
    let response = app
        .graphql_as(Some(&token), query, json!({ "first": 4 }))
        .await;
    let got: Vec<(String, String, String)> = ok(&response)["me"]["upcomingReminders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            assert_eq!(o["timezone"], "Europe/Berlin");
            let text = |k: &str| o[k].as_str().unwrap().to_owned();
            (text("label"), text("at"), text("localTime"))
        })
        .collect();
    let expected = [
        // 02:30 does not exist that night: it fires once, at 03:00 CEST.
        ("Blood pressure", "2027-03-28T01:00:00", "2027-03-28T03:00"),
        ("Walk", "2027-03-28T06:00:00", "2027-03-28T08:00"),
        ("Walk", "2027-04-03T06:00:00", "2027-04-03T08:00"),
        ("Blood pressure", "2027-04-04T00:30:00", "2027-04-04T02:30"),
    ];
    assert_eq!(got.len(), expected.len(), "{got:?}");
    for ((label, at, local), (want_label, want_at, want_local)) in got.iter().zip(expected) {
        assert_eq!((label.as_str(), local.as_str()), (want_label, want_local));
        assert!(at.starts_with(want_at), "{at} is not {want_at}");
    }

    for first in [0, 51] {
        let response = app
            .graphql_as(Some(&token), query, json!({ "first": first }))
            .await;
        assert_eq!(
            response.error_codes(),
            ["BAD_USER_INPUT"],
            "first = {first}"
        );
    }
}
