//! First run: the `api` command started for real (as a process, through the same entry point
//! as the binary) against each broken dependency: it exits non-zero within seconds with one
//! line that names what it tried and what to do; and `api doctor` reports every row.

use std::time::{Duration, Instant};

use sea_orm::ConnectionTrait;
use tests::{
    MailServer, SERVER_URL,
    fake_ai::{Behaviour, FakeAi},
    fresh_database,
};

/// Not a test on its own: the `api` command that the tests below run as a process. It does
/// nothing unless its environment carries the arguments.
#[tokio::test]
#[ignore = "the api command that other tests run"]
async fn cli_process() {
    let Ok(args) = std::env::var("ECHO_CLI_ARGS") else {
        return;
    };
    let args: Vec<String> = serde_json::from_str(&args).unwrap();
    let args = std::iter::once("api".to_owned())
        .chain(args)
        .map(Into::into);
    let code = api::cli::main(args).await;
    std::process::exit(i32::from(code));
}

struct Run {
    code: i32,
    output: String,
    took: Duration,
}

/// Runs `api ARGS` in a process of its own with an empty environment (no DATABASE_URL or
/// anything else from the test's), in a fresh working directory.
async fn api(args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let output = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "first_run::cli_process",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("RUST_LOG", "off")
        .env("ECHO_CLI_ARGS", serde_json::to_string(args).unwrap())
        .current_dir(dir.path())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(60), output)
        .await
        .expect("the command ended within 60 s")
        .unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        // libtest announces the test on the line the command then writes on.
        output: format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
        .replace("test first_run::cli_process ... ", "\n"),
        took: started.elapsed(),
    }
}

/// The one line the command printed for its failure.
fn error_line(run: &Run) -> &str {
    run.output
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_else(|| panic!("no error line in {:?}", run.output))
}

fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Asserts a failed start: status 1 within `seconds`, an error line holding every `needle`.
fn failed(run: &Run, seconds: u64, needles: &[&str]) {
    assert_eq!(run.code, 1, "{}", run.output);
    assert!(
        run.took < Duration::from_secs(seconds),
        "took {:?}",
        run.took
    );
    let line = error_line(run);
    for needle in needles {
        assert!(line.contains(needle), "{needle:?} not in {line:?}");
    }
}

#[tokio::test]
async fn a_database_that_refuses_fails_at_once_naming_the_address_not_the_password() {
    let port = closed_port();
    let url = format!("postgres://postgres:hunter2@127.0.0.1:{port}/echo");
    let run = api(&["--database-url", &url]).await;
    failed(
        &run,
        5,
        &[
            &format!("postgres@127.0.0.1:{port}/echo"),
            "connection refused",
            "start PostgreSQL",
        ],
    );
    assert!(!run.output.contains("hunter2"));
}

#[tokio::test]
async fn a_silent_database_fails_after_the_connect_timeout() {
    // Accepts connections (the kernel does) and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let url = format!("postgres://postgres@127.0.0.1:{port}/echo");
    let run = api(&["--database-url", &url, "--db-connect-timeout-secs", "1"]).await;
    failed(
        &run,
        6,
        &[
            &format!("127.0.0.1:{port}"),
            "no answer within 1 s",
            "DB_CONNECT_TIMEOUT_SECS",
        ],
    );
    drop(silent);
}

#[tokio::test]
async fn an_unknown_host_and_an_unknown_user_are_named() {
    let run = api(&[
        "--database-url",
        "postgres://postgres@no-such-host.invalid:5432/echo",
    ])
    .await;
    failed(
        &run,
        10,
        &[
            "no-such-host.invalid:5432",
            "does not resolve",
            "check the host",
        ],
    );

    // This machine trusts local connections, so a wrong password is not tried here; a user
    // PostgreSQL does not know is refused the same way (SQLSTATE 28000).
    let run = api(&[
        "--database-url",
        "postgres://nobody_at_all@127.0.0.1:5432/echo",
    ])
    .await;
    failed(
        &run,
        5,
        &[
            "nobody_at_all@127.0.0.1:5432/echo",
            "does not let this user in",
            "check the user",
        ],
    );
}

#[tokio::test]
async fn a_missing_database_the_user_may_not_create_is_explained() {
    let admin = sea_orm::Database::connect(format!("{SERVER_URL}/postgres"))
        .await
        .unwrap();
    let role = format!("echo_nocreate_{}", uuid::Uuid::new_v4().simple());
    admin
        .execute_unprepared(&format!("CREATE ROLE {role} LOGIN NOCREATEDB"))
        .await
        .unwrap();
    let url = format!("postgres://{role}@127.0.0.1:5432/echo_missing_{role}");
    let run = api(&["--database-url", &url]).await;
    admin
        .execute_unprepared(&format!("DROP ROLE {role}"))
        .await
        .unwrap();
    failed(
        &run,
        5,
        &[
            &format!("echo_missing_{role}"),
            "may not create databases",
            "createdb",
        ],
    );
}

#[tokio::test]
async fn a_database_migrated_by_a_newer_version_is_refused() {
    let name = fresh_database().await;
    let url = format!("{SERVER_URL}/{name}");
    let db = sea_orm::Database::connect(&url).await.unwrap();
    db.execute_unprepared(
        "INSERT INTO seaql_migrations (version, applied_at) VALUES ('m20991231_000001_from_the_future', 0)",
    )
    .await
    .unwrap();
    let run = api(&["--database-url", &url, "--port", "0"]).await;
    failed(
        &run,
        5,
        &[
            "a newer version",
            "m20991231_000001_from_the_future",
            "run that newer version",
        ],
    );

    let run = api(&["--database-url", &url, "doctor"]).await;
    assert_eq!(run.code, 1, "{}", run.output);
    assert!(
        row(&run, "migrations").starts_with("FAIL  migrated by a newer version"),
        "{}",
        run.output
    );
    db.close().await.ok();
}

#[tokio::test]
async fn an_unwritable_data_folder_and_a_taken_port_are_named() {
    let url = format!("{SERVER_URL}/{}", fresh_database().await);
    // The tests run as root, for whom no permission bit forbids writing; a path through a
    // regular file cannot be written by anyone.
    let file = tempfile::NamedTempFile::new().unwrap();
    let data_dir = file.path().join("data");
    let data = data_dir.to_str().unwrap();
    let run = api(&["--database-url", &url, "--port", "0", "--data-dir", data]).await;
    failed(
        &run,
        10,
        &[
            "DATA_DIR",
            data,
            "Not a directory",
            "set DATA_DIR to a folder this user can write",
        ],
    );
    let run = api(&[
        "--database-url",
        &url,
        "--port",
        "0",
        "--storage-root",
        data,
    ])
    .await;
    failed(&run, 10, &["STORAGE_ROOT", data, "set STORAGE_ROOT"]);

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let run = api(&["--database-url", &url, "--port", &port]).await;
    failed(
        &run,
        10,
        &[
            &format!("listening on 127.0.0.1:{port}"),
            "already in use",
            "set PORT",
        ],
    );
}

#[tokio::test]
async fn invalid_settings_are_refused_before_anything_starts() {
    let run = api(&["--db-pool-size", "many"]).await;
    assert_eq!(run.code, 2, "{}", run.output);
    assert!(
        run.output.contains("--db-pool-size") && run.output.contains("many"),
        "{}",
        run.output
    );
    assert!(run.took < Duration::from_secs(5));
}

/// The doctor's row for `name`, after the name: `"ok    detail"`.
fn row<'a>(run: &'a Run, name: &str) -> &'a str {
    run.output
        .lines()
        .find_map(|line| {
            let rest = line.strip_prefix(name)?;
            rest.starts_with("  ").then(|| rest.trim_start())
        })
        .unwrap_or_else(|| panic!("no row {name:?} in {}", run.output))
}

/// Every row of a setup that names all its dependencies (and so writes nothing to DATA_DIR).
const ROWS: [&str; 12] = [
    "postgresql",
    "migrations",
    "connection pooling",
    "read replica",
    "direct connection",
    "mail",
    "storage",
    "one-time-code key",
    "ocr",
    "ai provider",
    "persisted operations",
    "port",
];

#[tokio::test]
async fn the_doctor_passes_a_healthy_setup_and_names_each_broken_dependency() {
    let name = fresh_database().await;
    let url = format!("{SERVER_URL}/{name}");
    let mail = MailServer::start();
    let ai = FakeAi::start(Behaviour::Good);
    let folder = tempfile::tempdir().unwrap();
    let queries = folder.path().join("persisted.json");
    std::fs::write(
        &queries,
        r#"{"2bd8e3b9a0ec7a3e2d1cb7bd7f9a6cb6c4e1a0e1c7b2d1e0f3a4b5c6d7e8f9a0":"{ x }"}"#,
    )
    .unwrap();
    let good_queries = folder.path().join("good.json");
    let query = "{ __typename }";
    let hash = {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(query.as_bytes()))
    };
    std::fs::write(
        &good_queries,
        serde_json::json!({ hash: query }).to_string(),
    )
    .unwrap();
    let data = folder.path().join("data");
    let storage = folder.path().join("files");
    let key = api::auth::otp::OtpKey::generate().to_hex();
    let healthy = [
        "--database-url",
        &url,
        "--database-read-url",
        &url,
        "--database-direct-url",
        &url,
        "--smtp-url",
        &mail.url,
        "--ai-base-url",
        &ai.url,
        "--ai-model",
        "test-model",
        "--persisted-queries-file",
        good_queries.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
        "--storage-root",
        storage.to_str().unwrap(),
        "--otp-secret",
        &key,
        "--port",
        "0",
    ];
    let mut args = healthy.to_vec();
    args.push("doctor");
    let run = api(&args).await;
    assert_eq!(run.code, 0, "{}", run.output);
    for name in ROWS {
        assert!(row(&run, name).starts_with("ok "), "{name}: {}", run.output);
    }
    assert!(row(&run, "postgresql").contains("PostgreSQL 1"));
    assert!(row(&run, "ai provider").contains("lists test-model"));
    assert!(run.output.contains("all required checks passed"));

    // Everything but the database broken at once: each of those rows fails, the rest are
    // still checked and reported.
    let refused = format!("postgres://postgres@127.0.0.1:{}/x", closed_port());
    let dead = format!("http://127.0.0.1:{}/v1", closed_port());
    let dead_smtp = format!("smtp://127.0.0.1:{}", closed_port());
    let not_a_dir = tempfile::NamedTempFile::new().unwrap();
    let under_file = not_a_dir.path().join("files");
    let broken = [
        "--database-url",
        &url,
        "--database-read-url",
        &refused,
        "--smtp-url",
        &dead_smtp,
        "--ai-base-url",
        &dead,
        "--persisted-queries-file",
        queries.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
        "--storage-root",
        under_file.to_str().unwrap(),
        "--otp-secret",
        "not-hex",
        "--port",
        "0",
        "doctor",
    ];
    let run = api(&broken).await;
    assert_eq!(run.code, 1, "{}", run.output);
    for (name, says) in [
        ("read replica", "connection refused"),
        ("mail", "Connection refused"),
        ("storage", "Not a directory"),
        ("one-time-code key", "OTP_SECRET"),
        ("ai provider", "Connection refused"),
        ("persisted operations", "does not match"),
    ] {
        let found = row(&run, name);
        assert!(
            found.starts_with("FAIL") && found.contains(says),
            "{name}: {found}"
        );
    }
    for name in [
        "postgresql",
        "migrations",
        "connection pooling",
        "ocr",
        "port",
    ] {
        assert!(row(&run, name).starts_with("ok "), "{name}: {}", run.output);
    }
    assert!(row(&run, "direct connection").starts_with("skip"));
    assert!(run.output.contains("6 check(s) failed"), "{}", run.output);

    // No database at all: its rows fail or are skipped, the others still run.
    let mut args = healthy.to_vec();
    args[1] = &refused; // DATABASE_URL
    args[5] = &refused; // DATABASE_DIRECT_URL, which the primary checks go to
    args.push("doctor");
    let run = api(&args).await;
    assert_eq!(run.code, 1, "{}", run.output);
    let postgres = row(&run, "postgresql");
    assert!(
        postgres.starts_with("FAIL") && postgres.contains("connection refused"),
        "{postgres}"
    );
    assert!(row(&run, "migrations").starts_with("skip"));
    assert!(row(&run, "direct connection").starts_with("FAIL"));
    for name in [
        "read replica",
        "mail",
        "storage",
        "ai provider",
        "persisted operations",
    ] {
        assert!(row(&run, name).starts_with("ok "), "{name}: {}", run.output);
    }
}
