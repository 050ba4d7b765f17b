//! Mail is durable: queued in the database, sealed at rest, delivered by the job runner after
//! a crash or an outage, once, and never after its content has expired.

use chrono::Duration;
use serde_json::{Value, json};
use tests::{ChildServer, TestApp, ok, spawn_app_with};

use crate::accounts::PASSWORD;

const REQUEST_OTP: &str = "mutation($email: String!) {
    requestEmailOtp(input: { email: $email, purpose: REGISTRATION }) { codeExpiresInSeconds } }";
const REGISTER: &str =
    "mutation($input: RegisterInput!) { register(input: $input) { user { email } } }";

async fn request_code(app: &TestApp, email: &str) {
    ok(&app.graphql(REQUEST_OTP, json!({ "email": email })).await);
}

async fn register(app: &TestApp, email: &str, code: &str) -> Value {
    let input = json!({ "input": { "email": email, "code": code, "password": PASSWORD,
        "firstName": "Mia", "lastName": "Lund" } });
    ok(&app.graphql(REGISTER, input).await)["register"]["user"]["email"].clone()
}

/// (status, attempts, payload as text) of the one mail job, read in one statement.
async fn mail_job(app: &TestApp) -> (String, i64, String) {
    let row = app
        .scalar_text("SELECT concat_ws(' ', status, attempts, payload::text) FROM jobs WHERE kind = 'send_mail'")
        .await;
    let mut fields = row.splitn(3, ' ');
    let status = fields.next().unwrap_or_default().to_owned();
    let attempts = fields.next().and_then(|a| a.parse().ok()).unwrap_or(-1);
    (
        status,
        attempts,
        fields.next().unwrap_or_default().to_owned(),
    )
}

/// Waits (up to 10 s) until the mail job has reached `status` after `attempts` attempts.
async fn wait_for_mail_job(app: &TestApp, status: &str, attempts: i64) -> String {
    for _ in 0..200 {
        let (now, tried, payload) = mail_job(app).await;
        if now == status && tried == attempts {
            return payload;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the mail job is {:?}", mail_job(app).await);
}

/// An address where nothing listens: connections are refused.
fn closed_smtp_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("smtp://127.0.0.1:{port}")
}

#[tokio::test]
async fn a_code_whose_sending_failed_before_a_crash_is_delivered_after_the_restart_once() {
    let email = "mia.lund@example.com";
    // This server answers requests and runs no jobs; a child process does, and its mail server
    // is down, so the first attempt fails and a retry is planned a minute later.
    let app = spawn_app_with(|s| s.jobs.job_workers = 0).await;
    let mut child = ChildServer::start(
        &app,
        &[
            ("ECHO_CHILD_SMTP_URL", closed_smtp_url()),
            ("ECHO_CHILD_JOB_RETRY_BASE_SECS", "60".to_owned()),
        ],
    );
    request_code(&app, email).await;
    let payload = wait_for_mail_job(&app, "queued", 1).await;
    let error = app
        .scalar_text("SELECT last_error FROM jobs WHERE kind = 'send_mail'")
        .await;
    assert!(error.contains("onnection refused"), "{error}");
    // At rest the mail is sealed: neither the recipient nor the words of the mail show.
    assert!(
        !payload.contains("mia.lund") && !payload.contains("code"),
        "{payload}"
    );
    assert!(payload.contains("\"sealed\"") && payload.contains("example.com"));
    child.kill(); // SIGKILL, with the mail still to send

    // The restarted server (same database, same key, a working mail server) sends it once its
    // retry is due, and the code in it works.
    let restarted = app.another_server(|_| {}).await;
    restarted.clock.advance(Duration::seconds(61));
    let code = restarted.mail.wait_for(email, 1).await.code().unwrap();
    assert_eq!(register(&restarted, email, &code).await, email);
    let payload = wait_for_mail_job(&app, "done", 2).await;
    assert!(
        !payload.contains("\"sealed\"") && payload.contains("delivered_at"),
        "{payload}"
    );

    // A worker that dies after the server accepted the mail, before it marked the job done,
    // leaves it to run again: that run finds nothing to send.
    app.execute("UPDATE jobs SET status = 'running', locked_until = now() - interval '1 second' WHERE kind = 'send_mail'")
        .await;
    wait_for_mail_job(&app, "done", 3).await;
    assert_eq!(restarted.settled_mail_count(email).await, 1);
}

#[tokio::test]
async fn a_code_is_not_sent_after_it_has_expired_and_its_content_is_erased() {
    let email = "late@example.com";
    let app = spawn_app_with(|s| s.jobs.job_workers = 0).await;
    request_code(&app, email).await;
    wait_for_mail_job(&app, "queued", 0).await;
    assert!(app.mail.messages_to(email).is_empty());

    // The server comes back after the code's ten minutes: the mail is dropped, not sent.
    let restarted = app
        .another_server_later(Duration::minutes(11), |_| {})
        .await;
    let payload = wait_for_mail_job(&app, "failed", 1).await;
    assert!(!payload.contains("\"sealed\""), "{payload}");
    let error = app
        .scalar_text("SELECT last_error FROM jobs WHERE kind = 'send_mail'")
        .await;
    assert_eq!(error, "expired before it could be delivered");
    assert_eq!(restarted.settled_mail_count(email).await, 0);
}

#[tokio::test]
async fn a_mail_sealed_under_another_key_is_given_up_not_sent() {
    let email = "rotated@example.com";
    let app = spawn_app_with(|s| s.jobs.job_workers = 0).await;
    request_code(&app, email).await;
    let other_key = api::auth::otp::OtpKey::generate().to_hex();
    let restarted = app
        .another_server(|s| s.accounts.otp_secret = Some(other_key))
        .await;
    let payload = wait_for_mail_job(&app, "failed", 1).await;
    assert!(!payload.contains("\"sealed\""), "{payload}");
    assert_eq!(restarted.settled_mail_count(email).await, 0);
}

#[tokio::test]
async fn without_smtp_the_mail_lands_whole_in_the_outbox_folder() {
    let data_dir = std::env::temp_dir().join(format!("echo-outbox-{}", uuid::Uuid::new_v4()));
    let dir = data_dir.clone();
    let app = spawn_app_with(move |s| {
        s.mail.smtp_url = None;
        s.server.data_dir = dir;
    })
    .await;
    request_code(&app, "box@example.com").await;
    app.mail_drained().await;
    let outbox = data_dir.join("outbox");
    let names: Vec<String> = std::fs::read_dir(&outbox)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(names[0].ends_with(".eml") && !names[0].starts_with('.'));
    let text = std::fs::read_to_string(outbox.join(&names[0])).unwrap();
    assert!(text.contains("To: box@example.com") && text.contains("Your code: "));
    assert!(text.contains("Message-ID: <"));
    std::fs::remove_dir_all(&data_dir).ok();
}

#[tokio::test]
async fn finished_jobs_are_deleted_after_the_retention_and_queued_ones_never() {
    let app = spawn_app_with(|_| {}).await;
    request_code(&app, "kept@example.com").await;
    app.mail_drained().await;
    // A queued job due in 40 days stays whatever its age.
    app.execute("INSERT INTO jobs (kind, payload, run_at, created_at, updated_at) VALUES ('send_mail', '{}', now() + interval '40 days', now() - interval '60 days', now() - interval '60 days')").await;
    let finished = "SELECT count(*) FROM jobs WHERE status IN ('done', 'failed')";
    assert_eq!(app.scalar_i64(finished).await, 1);

    // A server whose clock reads 29 days later keeps the finished job; 31 days later, deletes it.
    let soon = app.another_server_later(Duration::days(29), |_| {}).await;
    soon.wait_for_job_polls(2).await;
    assert_eq!(app.scalar_i64(finished).await, 1);
    let later = app.another_server_later(Duration::days(31), |_| {}).await;
    for _ in 0..200 {
        if app.scalar_i64(finished).await == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(app.scalar_i64(finished).await, 0);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM jobs").await,
        1,
        "the queued job stays"
    );
    drop((soon, later));
}
