//! AI enrichment of assessments through a local OpenAI-compatible server: a good answer is
//! appended and marked; garbage, unsafe content, 500s and timeouts leave the local result in
//! place with the failure recorded; a job left behind by a dead worker completes exactly once.

use std::time::Duration as StdDuration;

use chrono::Duration;
use serde_json::{Value, json};
use tests::{
    TestApp,
    fake_ai::{Behaviour, FakeAi, SUGGESTION},
    ok, spawn_app_with,
};

const CREATE: &str = "mutation { createHealthAssessment(input: { bmi: { heightCm: 175, weightKg: 70 } }) { assessment { id recommendations isApiResult } } }";
const READ: &str = "query($id: ID!) { healthAssessment(id: $id) { riskScore riskLevel probability recommendations isApiResult assessmentData aiReview { provider model generatedAt recommendations } aiReviewError } }";

async fn app_with_ai(fake: &FakeAi, timeout_secs: u64) -> TestApp {
    let url = fake.url.clone();
    spawn_app_with(move |s| {
        s.ai.ai_base_url = Some(url);
        s.ai.ai_timeout_secs = timeout_secs;
    })
    .await
}

/// Creates a BMI assessment; returns its id and the token.
async fn create_assessment(app: &TestApp) -> (Value, String) {
    let user = app.create_user("enrich@example.com").await;
    let token = app.sign_in(&user).await;
    let response = app.graphql_as(Some(&token), CREATE, json!({})).await;
    let id = ok(&response)["createHealthAssessment"]["assessment"]["id"].clone();
    (id, token)
}

async fn job_status(app: &TestApp) -> (String, i64) {
    let status = app.scalar_i64("SELECT CASE status WHEN 'queued' THEN 0 WHEN 'running' THEN 1 WHEN 'done' THEN 2 ELSE 3 END::bigint FROM jobs").await;
    let attempts = app.scalar_i64("SELECT attempts::bigint FROM jobs").await;
    let name = ["queued", "running", "done", "failed"][usize::try_from(status).unwrap()];
    (name.to_owned(), attempts)
}

/// Waits (up to 20 s) for the job to reach `status`.
async fn wait_for_job(app: &TestApp, status: &str) -> i64 {
    for _ in 0..200 {
        let (now, attempts) = job_status(app).await;
        if now == status {
            return attempts;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    panic!("the job never became {status}: {:?}", job_status(app).await);
}

#[tokio::test]
async fn a_good_answer_is_appended_marked_and_recorded() {
    let fake = FakeAi::start(Behaviour::Good);
    let app = app_with_ai(&fake, 2).await;
    let (id, token) = create_assessment(&app).await;
    assert_eq!(wait_for_job(&app, "done").await, 1);

    let response = app
        .graphql_as(Some(&token), READ, json!({ "id": id }))
        .await;
    let row = &ok(&response)["healthAssessment"];
    assert_eq!(row["isApiResult"], true);
    assert_eq!(
        (row["riskScore"].as_i64(), row["riskLevel"].as_str()),
        (Some(23), Some("LOW")),
        "the computed result is untouched"
    );
    let recommendations: Vec<&str> = row["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert_eq!(
        recommendations.last().copied(),
        Some(format!("Personalised suggestion (AI): {SUGGESTION}").as_str())
    );
    assert_eq!(recommendations.len(), 2, "the local one stays first");
    assert_eq!(row["assessmentData"]["ai"]["model"], "test-model");
    assert_eq!(row["assessmentData"]["ai"]["provider"], "openai-compatible");
    // The same record, typed.
    let review = &row["aiReview"];
    assert_eq!(
        (&review["provider"], &review["model"]),
        (&json!("openai-compatible"), &json!("test-model"))
    );
    assert_eq!(review["recommendations"], json!([SUGGESTION]));
    let instant = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    assert_eq!(
        instant(&review["generatedAt"]),
        instant(&row["assessmentData"]["ai"]["generatedAt"])
    );
    assert!(row["aiReviewError"].is_null());

    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0]["model"], "test-model");
    assert_eq!(requests[0]["response_format"]["type"], "json_object");
    let question = requests[0]["messages"][1]["content"].as_str().unwrap();
    assert!(question.contains("\"instrument\":\"bmi\""), "{question}");
    assert!(
        !question.contains("enrich@example.com"),
        "no identity goes to the provider"
    );
}

#[tokio::test]
async fn bad_providers_leave_the_local_result_with_the_failure_recorded() {
    for (behaviour, timeout) in [
        (Behaviour::Garbage, 2),
        (Behaviour::Unsafe, 2),
        (Behaviour::ServerError, 2),
        (Behaviour::Slow, 1),
    ] {
        let fake = FakeAi::start(behaviour);
        let app = app_with_ai(&fake, timeout).await;
        let (id, token) = create_assessment(&app).await;
        assert_eq!(
            wait_for_job(&app, "failed").await,
            3,
            "{behaviour:?}: three attempts"
        );
        assert_eq!(fake.requests().len(), 3, "{behaviour:?}");

        let response = app
            .graphql_as(Some(&token), READ, json!({ "id": id }))
            .await;
        let row = &ok(&response)["healthAssessment"];
        assert_eq!(row["isApiResult"], false, "{behaviour:?}");
        assert_eq!(row["riskScore"], 23);
        assert_eq!(
            row["recommendations"].as_array().unwrap().len(),
            1,
            "{behaviour:?}: only the local advice"
        );
        let error = row["assessmentData"]["aiError"]["error"]
            .as_str()
            .unwrap_or_default();
        assert!(!error.is_empty(), "{behaviour:?}: failure recorded");
        assert_eq!(row["aiReviewError"].as_str(), Some(error), "{behaviour:?}");
        assert!(row["aiReview"].is_null(), "{behaviour:?}");
        assert!(
            !error.contains("127.0.0.1"),
            "{behaviour:?}: no internals: {error}"
        );
    }
}

#[tokio::test]
async fn without_a_provider_nothing_is_queued() {
    let app = tests::spawn_app().await;
    create_assessment(&app).await;
    assert_eq!(app.scalar_i64("SELECT count(*) FROM jobs").await, 0);
}

#[tokio::test]
async fn a_job_left_by_a_dead_worker_completes_after_restart_exactly_once() {
    let fake = FakeAi::start(Behaviour::Good);
    let url = fake.url.clone();
    // The first server queues the job but never works it (no workers), then "dies" with the
    // job claimed: that is the state a worker killed mid-request leaves behind.
    let first = spawn_app_with(|s| {
        s.ai.ai_base_url = Some(url.clone());
        s.jobs.job_workers = 0;
    })
    .await;
    let (id, token) = create_assessment(&first).await;
    first.execute("UPDATE jobs SET status = 'running', attempts = 1, locked_until = now() + interval '5 minutes'").await;

    // After the restart, the lease still holds: nobody touches the job.
    let second = first
        .another_server(|s| s.ai.ai_base_url = Some(url.clone()))
        .await;
    second.wait_for_job_polls(2).await;
    assert_eq!(job_status(&second).await, ("running".to_owned(), 1));
    assert!(fake.requests().is_empty());

    // Once the lease has run out, the job is claimed again and completes.
    second.clock.advance(Duration::minutes(6));
    assert_eq!(wait_for_job(&second, "done").await, 2);
    let response = second
        .graphql_as(Some(&token), READ, json!({ "id": id }))
        .await;
    let row = &ok(&response)["healthAssessment"];
    assert_eq!(row["recommendations"].as_array().unwrap().len(), 2);

    // A worker that died after updating the row but before finishing the job makes the job
    // run again: the row does not change a second time.
    second
        .execute("UPDATE jobs SET status = 'running', locked_until = now() - interval '1 second'")
        .await;
    assert_eq!(wait_for_job(&second, "done").await, 3);
    let response = second
        .graphql_as(Some(&token), READ, json!({ "id": id }))
        .await;
    assert_eq!(
        ok(&response)["healthAssessment"]["recommendations"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "exactly once"
    );
    assert_eq!(fake.requests().len(), 1, "the provider was not asked again");
}
