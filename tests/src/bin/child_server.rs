//! The server the tests start in a process of their own (`tests::ChildServer`), to kill it
//! with SIGKILL mid-job or to run two servers on one queue. Configured by `ECHO_CHILD_*`
//! variables naming the test's database, storage, secret and fakes; prints its port.

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let Ok(database_url) = std::env::var("ECHO_CHILD_DATABASE_URL") else {
        eprintln!("child-server: set ECHO_CHILD_DATABASE_URL (tests::ChildServer does)");
        std::process::exit(2);
    };
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let mut settings = api::config::Settings::for_database(database_url);
    settings.database.skip_migrations = true;
    settings.ai.ai_base_url = env("ECHO_CHILD_AI_URL");
    settings.mail.smtp_url = env("ECHO_CHILD_SMTP_URL");
    if let Some(secs) = env("ECHO_CHILD_JOB_RETRY_BASE_SECS").and_then(|s| s.parse().ok()) {
        settings.jobs.job_retry_base_secs = secs;
    }
    if let Some(key) = env("ECHO_CHILD_OTP_SECRET") {
        settings.accounts.otp_secret = Some(key);
    }
    settings.storage.storage_root = env("ECHO_CHILD_STORAGE_ROOT").map(Into::into);
    if let Some(model) = env("ECHO_CHILD_AI_MODEL") {
        settings.ai.ai_model = model;
    }
    if let Some(workers) = env("ECHO_CHILD_JOB_WORKERS").and_then(|w| w.parse().ok()) {
        settings.jobs.job_workers = workers;
    }
    let app = match api::startup::Application::build(settings).await {
        Ok(app) => app,
        Err(err) => {
            eprintln!("child-server: {err}");
            std::process::exit(1);
        }
    };
    println!("{}{}", tests::CHILD_PORT_LINE, app.port());
    if let Err(err) = app.run_until_stopped().await {
        eprintln!("child-server: {err}");
        std::process::exit(1);
    }
}
