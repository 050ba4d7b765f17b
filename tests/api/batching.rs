//! Relations are batched connections: a constant number of SQL statements per request,
//! the right rows in the promised order, and cursors that page without gaps or repeats.

use serde_json::{Value, json};
use tests::{TestApp, spawn_app};

const NESTED: &str = "{ me {
    chatSessions(first: 20) {
      totalCount
      pageInfo { hasNextPage }
      edges { node { id startedAt totalMessages
        messages(first: 20) { totalCount pageInfo { hasNextPage } edges { node { content senderType createdAt } } } } }
    }
    healthAssessments(first: 20) { edges { node { id riskScore riskLevel assessmentType } } }
    medicalReports(first: 20) { edges { node { id fileName analysisStatus } } }
    sessions(first: 20) { edges { node { id isCurrent } } }
    settings { key value type isDefault }
    assessmentTrend(type: BMI) { score }
} }";

/// A user with `sessions` chat sessions of `messages` messages each, plus a few rows of every
/// other relation; returns their token.
async fn seed_user(app: &TestApp, email: &str, sessions: i32, messages: i32) -> String {
    let user = app.create_user(email).await;
    let id = user.id;
    app.execute(&format!(
        "INSERT INTO chat_sessions (user_id, started_at, total_messages)
             SELECT {id}, timestamptz '2026-01-01 00:00Z' + i * interval '1 minute', {messages}
             FROM generate_series(1, {sessions}) i;
         INSERT INTO chat_messages (session_id, sender_type, message_content, created_at)
             SELECT s.id, CASE WHEN j % 2 = 1 THEN 'user' ELSE 'assistant' END, 'message ' || j,
                    s.started_at + j * interval '1 second'
             FROM chat_sessions s, generate_series(1, {messages}) j WHERE s.user_id = {id};
         INSERT INTO health_assessments (user_id, assessment_type, risk_score, risk_level, created_at)
             SELECT {id}, 'bmi', 20 + i, 'low', timestamptz '2026-02-01 00:00Z' + i * interval '1 hour'
             FROM generate_series(1, 3) i;
         INSERT INTO medical_reports (user_id, report_type, file_name, file_path, file_size, mime_type, upload_date)
             SELECT {id}, 'lab_result', 'report-' || i || '.pdf', 'reports/{id}/' || gen_random_uuid(), 100, 'application/pdf',
                    timestamptz '2026-03-01 00:00Z' + i * interval '1 day'
             FROM generate_series(1, 2) i;
         INSERT INTO app_settings (user_id, setting_key, setting_value, setting_type)
             VALUES ({id}, 'theme', 'dark', 'string'), ({id}, 'units', 'metric', 'string');"
    ))
    .await;
    app.sign_in(&user).await
}

/// Runs `query` as `token`; returns the data and the SQL statements it cost.
async fn measured(app: &TestApp, token: &str, query: &str) -> (Value, u64) {
    let before = app.statements();
    let response = app.graphql_as(Some(token), query, json!({})).await;
    assert!(response.body.get("errors").is_none(), "{:?}", response.body);
    (response.data().clone(), app.statements() - before)
}

fn nodes(connection: &Value) -> Vec<&Value> {
    connection["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"])
        .collect()
}

#[tokio::test]
async fn nested_relations_cost_the_same_statements_for_2_or_20_parents() {
    let app = spawn_app().await;
    let small = seed_user(&app, "small@example.com", 2, 3).await;
    let large = seed_user(&app, "large@example.com", 20, 25).await;

    let (small_data, small_statements) = measured(&app, &small, NESTED).await;
    let (large_data, large_statements) = measured(&app, &large, NESTED).await;
    println!(
        "nested query: {small_statements} SQL statements for 2 chat sessions, {large_statements} for 20"
    );
    assert_eq!(
        small_statements, large_statements,
        "statements must not grow with the number of parents"
    );
    // 1 token lookup; chat sessions page + count; messages page + count (all 20 sessions in one);
    // one page each for assessments, reports, device sessions and settings; one trend.
    assert_eq!(large_statements, 10);

    // The right rows: each user sees their own, newest chat session first, messages in order.
    let chats = &large_data["me"]["chatSessions"];
    assert_eq!(chats["totalCount"], 20);
    assert_eq!(chats["pageInfo"]["hasNextPage"], false);
    let sessions = nodes(chats);
    assert_eq!(sessions.len(), 20);
    let started: Vec<&str> = sessions
        .iter()
        .map(|s| s["startedAt"].as_str().unwrap())
        .collect();
    assert_eq!(started[0], "2026-01-01T00:20:00+00:00");
    assert!(
        started.windows(2).all(|w| w[0] > w[1]),
        "newest first: {started:?}"
    );
    for session in &sessions {
        let messages = &session["messages"];
        assert_eq!(messages["totalCount"], 25);
        assert_eq!(messages["pageInfo"]["hasNextPage"], true);
        let contents: Vec<&str> = nodes(messages)
            .iter()
            .map(|m| m["content"].as_str().unwrap())
            .collect();
        let expected: Vec<String> = (1..=20).map(|j| format!("message {j}")).collect();
        assert_eq!(contents, expected, "conversation order, first page");
        assert_eq!(nodes(messages)[0]["senderType"], "USER");
        assert_eq!(nodes(messages)[1]["senderType"], "ASSISTANT");
    }

    let me = &small_data["me"];
    assert_eq!(
        nodes(&me["chatSessions"]).len(),
        2,
        "only the caller's own sessions"
    );
    let scores: Vec<i64> = nodes(&me["healthAssessments"])
        .iter()
        .map(|a| a["riskScore"].as_i64().unwrap())
        .collect();
    assert_eq!(scores, [23, 22, 21], "assessments newest first");
    assert_eq!(nodes(&me["healthAssessments"])[0]["riskLevel"], "LOW");
    assert_eq!(nodes(&me["healthAssessments"])[0]["assessmentType"], "BMI");
    let files: Vec<&str> = nodes(&me["medicalReports"])
        .iter()
        .map(|r| r["fileName"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["report-2.pdf", "report-1.pdf"]);
    assert_eq!(nodes(&me["medicalReports"])[0]["analysisStatus"], "PENDING");
    assert_eq!(nodes(&me["sessions"]).len(), 1);
    assert_eq!(nodes(&me["sessions"])[0]["isCurrent"], true);
    let settings = me["settings"].as_array().unwrap();
    assert_eq!(settings.len(), 7, "every known setting, two of them stored");
    let theme = settings.iter().find(|s| s["key"] == "theme").unwrap();
    assert_eq!(
        (theme["value"].clone(), theme["isDefault"].clone()),
        (json!("dark"), json!(false))
    );
    assert_eq!(
        settings.iter().filter(|s| s["isDefault"] == false).count(),
        2
    );
    assert_eq!(
        me["assessmentTrend"],
        json!([{ "score": 21 }, { "score": 22 }, { "score": 23 }]),
        "oldest first"
    );
}

#[tokio::test]
async fn total_count_costs_nothing_unless_selected() {
    let app = spawn_app().await;
    let token = seed_user(&app, "count@example.com", 3, 2).await;
    // The caller is kept after its first request (the session cache): both measured requests
    // then cost only their lists' statements.
    measured(&app, &token, "{ me { id } }").await;
    let (_, without) = measured(
        &app,
        &token,
        "{ me { chatSessions { edges { node { id } } } } }",
    )
    .await;
    let (data, with) = measured(
        &app,
        &token,
        "{ me { chatSessions { totalCount edges { node { id } } } } }",
    )
    .await;
    assert_eq!(with, without + 1);
    assert_eq!(data["me"]["chatSessions"]["totalCount"], 3);
}

#[tokio::test]
async fn cursors_page_forward_and_backward_without_gaps_or_repeats() {
    let app = spawn_app().await;
    let user = app.create_user("pager@example.com").await;
    let token = app.sign_in(&user).await;
    // Seven assessments, five of them at the very same instant: the id breaks the tie.
    app.execute(&format!(
        "INSERT INTO health_assessments (user_id, assessment_type, risk_score, risk_level, created_at)
             SELECT {}, 'bmi', i, 'low',
                    CASE WHEN i <= 5 THEN timestamptz '2026-05-05 05:05:05.123456Z'
                         ELSE timestamptz '2026-05-05 05:05:05.123456Z' + i * interval '1 microsecond' END
             FROM generate_series(1, 7) i",
        user.id
    ))
    .await;
    let page = |args: String| {
        let token = token.clone();
        let app = &app;
        async move {
            let query = format!(
                "{{ me {{ healthAssessments({args}) {{ pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} \
                 edges {{ cursor node {{ riskScore }} }} }} }} }}"
            );
            let response = app.graphql_as(Some(&token), &query, json!({})).await;
            assert!(
                response.body.get("errors").is_none(),
                "{args}: {:?}",
                response.body
            );
            response.data()["me"]["healthAssessments"].clone()
        }
    };
    let scores = |c: &Value| -> Vec<i64> {
        nodes(c)
            .iter()
            .map(|n| n["riskScore"].as_i64().unwrap())
            .collect()
    };

    // Forward, two at a time: 7 6 | 5 4 | 3 2 | 1 (newest first, then highest id first).
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let args = match &after {
            Some(cursor) => format!("first: 2, after: \"{cursor}\""),
            None => "first: 2".into(),
        };
        let connection = page(args).await;
        seen.extend(scores(&connection));
        if connection["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = Some(
            connection["pageInfo"]["endCursor"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(seen, [7, 6, 5, 4, 3, 2, 1]);

    // Backward from the end: the last two in list order, still shown in list order.
    let tail = page("last: 2".into()).await;
    assert_eq!(scores(&tail), [2, 1]);
    assert_eq!(tail["pageInfo"]["hasPreviousPage"], true);
    let before = tail["pageInfo"]["startCursor"].as_str().unwrap();
    let previous = page(format!("last: 3, before: \"{before}\"")).await;
    assert_eq!(scores(&previous), [5, 4, 3]);

    // A window between two cursors.
    let all = page("first: 7".into()).await;
    let cursor = |i: usize| all["edges"][i]["cursor"].as_str().unwrap().to_owned();
    let window = page(format!(
        "after: \"{}\", before: \"{}\"",
        cursor(1),
        cursor(5)
    ))
    .await;
    assert_eq!(scores(&window), [5, 4, 3]);

    // first: 0 is an empty page that still reports what follows.
    let empty = page("first: 0".into()).await;
    assert_eq!(scores(&empty), Vec::<i64>::new());
    assert_eq!(empty["pageInfo"]["hasNextPage"], true);
}
