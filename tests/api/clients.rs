//! Unmodified public JavaScript clients against the real server: the TypeScript project in
//! `clients/typescript` (Apollo Client, apollo-upload-client, graphql-ws with types generated from
//! `schema.graphql`) and GraphiQL in headless Chromium (`tests/browser`).
//!
//! They need Node, the npm installs and (for GraphiQL) Chromium, which `.ci/run` provides. Without
//! them these tests say what is missing and pass, unless `ECHO_REQUIRE_CLIENTS=1` (set by CI), when
//! a missing prerequisite fails the test.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use tests::{TestApp, spawn_app};

pub(crate) fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate is inside the workspace")
        .to_path_buf()
}

/// `Some(reason)` when a prerequisite is missing and the test may be skipped.
pub(crate) fn missing(prerequisites: &[(&Path, &str)]) -> Option<String> {
    let absent: Vec<String> = prerequisites
        .iter()
        .filter(|(path, _)| !path.exists())
        .map(|(path, how)| format!("{} ({how})", path.display()))
        .collect();
    let node = std::process::Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    let mut reasons = absent;
    if !node {
        reasons.push("node on PATH (Node 20 or later)".into());
    }
    if reasons.is_empty() {
        return None;
    }
    let reason = format!("missing: {}", reasons.join(", "));
    assert!(
        std::env::var("ECHO_REQUIRE_CLIENTS").as_deref() != Ok("1"),
        "ECHO_REQUIRE_CLIENTS=1 and {reason}"
    );
    eprintln!("skipped: {reason}; .ci/run installs them");
    Some(reason)
}

/// Runs `node <script>` in `dir` with `env`; fails the test with its output unless it exits 0.
pub(crate) async fn node(dir: &Path, script: &str, env: &[(&str, &str)]) -> String {
    let output = tokio::process::Command::new("node")
        .arg(script)
        .current_dir(dir)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(std::time::Duration::from_secs(120), output)
        .await
        .unwrap_or_else(|_| panic!("node {script} ran for more than two minutes"))
        .expect("start node");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "node {script} failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    stdout
}

async fn signed_in_user(app: &TestApp, email: &str) -> String {
    let user = app.create_user(email).await;
    app.sign_in(&user).await
}

#[tokio::test]
async fn typed_apollo_upload_and_graphql_ws_clients_work_against_the_server() {
    let project = repository_root().join("clients/typescript");
    let run = project.join("dist/run.js");
    if missing(&[(
        &run,
        "npm ci && npm run codegen && npm run build in clients/typescript",
    )])
    .is_some()
    {
        return;
    }
    let app = spawn_app().await;
    let token = signed_in_user(&app, "typed.client@example.com").await;

    let stdout = node(
        &project,
        "dist/run.js",
        &[("API_URL", &app.address), ("TOKEN", &token)],
    )
    .await;

    // What each client saw, and what the server stored from it.
    for line in [
        "ok - Apollo Client query me: typed.client@example.com",
        "ok - Apollo Client mutation createHealthAssessment(bmi): LOW",
        "ok - GET downloadUrl without Authorization returned the",
        "# all checks passed",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in:\n{stdout}");
    }
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM health_assessments")
            .await,
        1
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM medical_reports").await,
        1
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM chat_messages WHERE sender_type = 'assistant'")
            .await,
        1,
        "the streamed reply was stored"
    );
}

#[tokio::test]
async fn graphiql_runs_a_query_in_headless_chromium_with_every_other_host_blocked() {
    let browser_tests = repository_root().join("tests/browser");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let prerequisites = [
        (
            browser_tests.join("node_modules/playwright-core"),
            "npm ci in tests/browser",
        ),
        (PathBuf::from(&chromium), "apt-get install chromium"),
    ];
    let prerequisites: Vec<(&Path, &str)> = prerequisites
        .iter()
        .map(|(p, how)| (p.as_path(), *how))
        .collect();
    if missing(&prerequisites).is_some() {
        return;
    }
    let app = spawn_app().await;
    let token = signed_in_user(&app, "graphiql.user@example.com").await;

    let stdout = node(
        &browser_tests,
        "graphiql.test.mjs",
        &[
            ("BASE_URL", &app.address),
            ("TOKEN", &token),
            ("EXPECT_TEXT", "graphiql.user@example.com"),
            ("CHROMIUM", &chromium),
        ],
    )
    .await;
    assert!(stdout.contains("1 passed, 0 failed"), "{stdout}");
}
