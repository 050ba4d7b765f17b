//! Reminders that remind: each occurrence mailed once, in the user's zone, across replicas and
//! restarts, with a one-click unsubscribe link that works once.

use api::clock::Clock;
use chrono::{DateTime, Duration, Utc};
use chrono::{Datelike, Timelike};
use serde_json::json;
use tests::{ChildServer, MailServer, TestApp, ok, spawn_app_with};

const SET: &str = "mutation($key: String!, $value: String!) { setSetting(key: $key, value: $value) { setting { key } } }";
const BASE: &str = "https://echo.example";
const EMAIL: &str = "reminded@example.com";

/// Monday 2027-03-01, `hh:mm:ss` UTC.
fn monday(time: &str) -> DateTime<Utc> {
    format!("2027-03-01T{time}Z").parse().unwrap()
}

/// How far to move a clock that reads real time now so that it reads `target`.
fn until(target: DateTime<Utc>) -> Duration {
    target - Utc::now()
}

async fn server_at(target: DateTime<Utc>, workers: usize) -> TestApp {
    let app = spawn_app_with(move |s| {
        s.server.public_base_url = Some(BASE.into());
        s.jobs.job_workers = workers;
        s.server.metrics_token = Some("scrape".into());
    })
    .await;
    app.clock.advance(until(target));
    app
}

async fn with_schedule(app: &TestApp, schedule: &str) -> String {
    let user = app.create_user(EMAIL).await;
    let token = app.sign_in(&user).await;
    set_schedule(app, &token, schedule).await;
    token
}

async fn set_schedule(app: &TestApp, token: &str, schedule: &str) {
    let variables = json!({ "key": "reminder_schedule", "value": schedule });
    ok(&app.graphql_as(Some(token), SET, variables).await);
}

fn weekly(time: &str) -> String {
    format!(
        r#"{{"timezone":"UTC","reminders":[{{"label":"Blood pressure","time":"{time}","days":["mon"]}}]}}"#
    )
}

/// Waits (up to 10 s) until no reminder due by `app`'s clock is queued or running.
async fn reminders_settled(app: &TestApp) {
    let sql = format!(
        "SELECT count(*) FROM jobs WHERE kind = 'send_reminder' AND status IN ('queued', 'running') AND run_at <= '{}'",
        app.clock.now().to_rfc3339()
    );
    for _ in 0..200 {
        if app.scalar_i64(&sql).await == 0 {
            return app.mail_drained().await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("reminders still due after 10 s");
}

/// The user's `notifications_email` setting, as `me.settings` shows it.
async fn email_reminders_on(app: &TestApp, token: &str) -> bool {
    let response = app
        .graphql_as(Some(token), "{ me { settings { key value } } }", json!({}))
        .await;
    ok(&response)["me"]["settings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == "notifications_email")
        .unwrap()["value"]
        == "true"
}

/// The URL of the mail's `List-Unsubscribe` header.
fn unsubscribe_url(raw: &str) -> String {
    let unfolded = raw.replace("\r\n ", " ").replace("\r\n\t", " ");
    let line = unfolded
        .lines()
        .find_map(|l| l.strip_prefix("List-Unsubscribe: <"))
        .unwrap_or_else(|| panic!("no List-Unsubscribe in {raw}"));
    line.trim_end_matches('>').to_owned()
}

#[tokio::test]
async fn a_reminder_due_now_is_mailed_once_with_a_one_click_unsubscribe_that_works_once() {
    let app = server_at(monday("08:29:58"), 1).await;
    let token = with_schedule(&app, &weekly("08:30")).await;
    let mail = app.mail.wait_for(EMAIL, 1).await;
    assert_eq!(mail.subject(), "Reminder: Blood pressure");
    assert!(
        mail.text().contains("Monday 1 March, 08:30 (UTC)"),
        "{}",
        mail.raw
    );
    assert!(
        mail.raw
            .contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click")
    );
    let url = unsubscribe_url(&mail.raw);
    assert!(
        url.starts_with(&format!("{BASE}/unsubscribe?token=")),
        "{url}"
    );
    reminders_settled(&app).await;
    assert_eq!(app.settled_mail_count(EMAIL).await, 1);
    // Deliveries show in /metrics, by job kind.
    let metrics = app.metrics("scrape").await;
    for line in [
        r#"echo_jobs_finished_total{kind="send_reminder",outcome="done"} 1"#,
        r#"echo_jobs_finished_total{kind="send_mail",outcome="done"} 1"#,
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "{line} not in\n{metrics}"
        );
    }

    // The link, as a mail client uses it (RFC 8058): a POST to the URL.
    let local = url.replace(BASE, &app.address);
    let page = app.client.get(&local).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("<form method=\"post\">")
    );
    assert!(
        email_reminders_on(&app, &token).await,
        "GET changed nothing"
    );
    let one_click = |url: String| {
        app.client
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
    };
    let done = one_click(local.clone()).await.unwrap();
    assert_eq!(done.status(), 200);
    assert!(
        done.text()
            .await
            .unwrap()
            .contains("Email reminders are off")
    );
    assert!(!email_reminders_on(&app, &token).await);
    // Once only; and a changed token is refused.
    assert_eq!(one_click(local.clone()).await.unwrap().status(), 410);
    let tampered = local.replacen("token=", "token=9", 1);
    assert_eq!(one_click(tampered).await.unwrap().status(), 400);

    // Next Monday's occurrence was already queued: it now sends nothing.
    app.clock.advance(Duration::days(7));
    reminders_settled(&app).await;
    assert_eq!(app.settled_mail_count(EMAIL).await, 1);
}

#[tokio::test]
async fn two_server_processes_on_one_database_send_one_mail_per_occurrence() {
    // The server processes run on the real clock: the reminder is for the next whole minute
    // at least five seconds away, today, in UTC.
    let app = spawn_app_with(|s| s.jobs.job_workers = 0).await;
    let mail = MailServer::start();
    let servers: Vec<ChildServer> = (0..2)
        .map(|_| {
            let env = [
                ("ECHO_CHILD_SMTP_URL", mail.url.clone()),
                ("ECHO_CHILD_JOB_WORKERS", "2".to_owned()),
            ];
            ChildServer::start(&app, &env)
        })
        .collect();
    let soon = Utc::now() + Duration::seconds(65);
    let at = soon.with_second(0).unwrap().with_nanosecond(0).unwrap();
    let day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        [at.weekday().num_days_from_monday() as usize];
    let schedule = format!(
        r#"{{"timezone":"UTC","reminders":[{{"label":"Blood pressure","time":"{}","days":["{day}"]}}]}}"#,
        at.format("%H:%M")
    );
    let user = app.create_user(EMAIL).await;
    let token = app.sign_in(&user).await;
    set_schedule(&app, &token, &schedule).await;

    let first = mail
        .wait_for_within(EMAIL, 1, std::time::Duration::from_secs(90))
        .await;
    assert_eq!(first.subject(), "Reminder: Blood pressure");
    app.mail_drained().await;
    let done = "SELECT count(*) FROM jobs WHERE kind = 'send_reminder' AND status = 'done'";
    assert_eq!(app.scalar_i64(done).await, 1, "one job for the occurrence");
    assert_eq!(mail.messages_to(EMAIL).len(), 1);
    drop(servers);
}

#[tokio::test]
async fn a_schedule_change_moves_the_reminder_and_deactivation_cancels_it() {
    let app = server_at(monday("08:25:00"), 1).await;
    let token = with_schedule(&app, &weekly("08:30")).await;
    set_schedule(&app, &token, &weekly("08:31")).await;
    app.clock.advance(Duration::minutes(7));
    reminders_settled(&app).await;
    let mails = app.mail.messages_to(EMAIL);
    assert_eq!(mails.len(), 1, "the 08:30 reminder moved, not doubled");
    assert!(mails[0].text().contains("08:31"));

    // Deactivated before next Monday: nothing more.
    app.execute("UPDATE users SET is_active = false").await;
    app.clock.advance(Duration::days(7));
    reminders_settled(&app).await;
    assert_eq!(app.settled_mail_count(EMAIL).await, 1);
}

#[tokio::test]
async fn after_a_short_outage_the_missed_reminder_is_sent_after_a_long_one_skipped() {
    for (outage, sent) in [(Duration::minutes(5), 1), (Duration::minutes(60), 0)] {
        // The server that queued the reminder runs no jobs: it is as if it went down.
        let down = server_at(monday("08:29:00"), 0).await;
        with_schedule(&down, &weekly("08:30")).await;
        let restarted = down
            .another_server_later(until(monday("08:30:00") + outage), |s| {
                s.server.public_base_url = Some(BASE.into());
            })
            .await;
        reminders_settled(&restarted).await;
        assert_eq!(
            restarted.settled_mail_count(EMAIL).await,
            sent,
            "after {outage}"
        );
        if sent == 0 {
            let error = restarted
                .scalar_text("SELECT last_error FROM jobs WHERE kind = 'send_reminder' AND status = 'failed'")
                .await;
            assert!(error.contains("missed by more than 15 minutes"), "{error}");
        }
    }
}
