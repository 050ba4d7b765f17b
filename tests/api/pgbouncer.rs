//! Behind PgBouncer in transaction pooling mode: the server's pool goes through a real PgBouncer
//! (ECHO_PGBOUNCER: its binary, 1.21 or later; CI builds 1.24.1, `.ci/pgbouncer.sh`), with fewer
//! server connections than client connections, while migrations and LISTEN connect directly
//! (`DATABASE_DIRECT_URL`). A mixed, concurrent workload then runs without an error. Without
//! PgBouncer's prepared-statement tracking (`max_prepared_statements = 0`), the same workload
//! breaks: the setting docs/scaling.md documents is the one that matters.

use std::{
    net::TcpListener,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};

use futures_util::future::join_all;
use serde_json::{Value, json};
use tests::{TestApp, spawn_app_with};

/// A PgBouncer process in front of the local PostgreSQL.
struct Bouncer {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Drop for Bouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The PgBouncer binary, or None (with a note) when this machine has none and none is required.
fn binary() -> Option<String> {
    match std::env::var("ECHO_PGBOUNCER") {
        Ok(path) if !path.is_empty() => Some(path),
        _ if std::env::var_os("ECHO_REQUIRE_PGBOUNCER").is_some() => {
            panic!("ECHO_REQUIRE_PGBOUNCER is set but ECHO_PGBOUNCER names no binary")
        }
        _ => {
            eprintln!(
                "skipped: set ECHO_PGBOUNCER to a PgBouncer >= 1.21 binary (.ci/pgbouncer.sh builds one)"
            );
            None
        }
    }
}

fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

async fn start(binary: &str, max_prepared_statements: u32) -> Bouncer {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = std::env::temp_dir().join(format!("echo-pgbouncer-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    // PgBouncer refuses to run as root; it drops to `nobody`, who must write its log here.
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    }
    std::fs::write(dir.join("users.txt"), "\"postgres\" \"\"\n").unwrap();
    let config = format!(
        "[databases]\n* = host=127.0.0.1 port=5432\n\n[pgbouncer]\n\
         listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n\
         auth_type = trust\nauth_file = {dir}/users.txt\nadmin_users = postgres\n\
         pool_mode = transaction\nmax_prepared_statements = {max_prepared_statements}\n\
         default_pool_size = 2\nmax_client_conn = 200\n\
         ignore_startup_parameters = extra_float_digits,search_path\n\
         logfile = {dir}/pgbouncer.log\npidfile = {dir}/pgbouncer.pid\n",
        dir = dir.display()
    );
    let ini = dir.join("pgbouncer.ini");
    std::fs::write(&ini, config).unwrap();
    let mut command = Command::new(binary);
    if running_as_root() {
        command.args(["-u", "nobody"]);
    }
    let child = command
        .arg(&ini)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start pgbouncer");
    // Owned from here on: dropping it stops the process, whatever happens next.
    let bouncer = Bouncer { child, port, dir };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return bouncer;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "pgbouncer did not listen: {}",
        std::fs::read_to_string(bouncer.dir.join("pgbouncer.log")).unwrap_or_default()
    );
}

/// The server with its request pool behind `bouncer` and a direct connection for the rest.
async fn app_behind(bouncer: &Bouncer) -> TestApp {
    let port = bouncer.port;
    spawn_app_with(|s| {
        let direct = s.database.database_url.clone();
        s.database.database_url = direct.replace(":5432/", &format!(":{port}/"));
        s.database.database_direct_url = Some(direct);
        s.database.db_pool_size = 6;
    })
    .await
}

/// A mix of reads and writes from three users at once; returns every response body.
async fn workload(app: &TestApp) -> Vec<Value> {
    let mut tokens = Vec::new();
    for n in 0..3 {
        let user = app.create_user(&format!("pooled{n}@example.com")).await;
        tokens.push(app.sign_in(&user).await);
    }
    let read = "{ me { email healthAssessments(first: 5) { totalCount edges { node { riskLevel } } }
                chatSessions { edges { node { messages { totalCount } } } } settings { key value } } }";
    let write = "mutation { createHealthAssessment(input: { bmi: { heightCm: 175, weightKg: 70 } }) { assessment { id } } }";
    let setting = "mutation { setSetting(key: \"theme\", value: \"dark\") { setting { value } } }";
    let chat = "mutation { startChatSession { session { id } } }";
    let mut requests = Vec::new();
    for round in 0..8 {
        for token in &tokens {
            let query = [read, write, setting, chat][round % 4];
            requests.push(app.graphql_as(Some(token), query, json!({})));
        }
    }
    join_all(requests)
        .await
        .into_iter()
        .map(|response| response.body)
        .collect()
}

fn failures(bodies: &[Value]) -> Vec<&Value> {
    bodies
        .iter()
        .filter(|body| body.get("errors").is_some() || body["data"].is_null())
        .collect()
}

/// Transactions PgBouncer carried for the server's database (`total_xact_count` of its admin
/// console's `SHOW STATS`).
fn transactions_through(bouncer: &Bouncer, database: &str) -> i64 {
    let output = Command::new("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &bouncer.port.to_string(),
            "-U",
            "postgres",
        ])
        .args(["-A", "-F", ",", "pgbouncer", "-c", "SHOW STATS"])
        .output()
        .expect("psql runs");
    let text = String::from_utf8_lossy(&output.stdout);
    let mut lines = text.lines().map(|line| line.split(',').collect::<Vec<_>>());
    let header = lines.next().unwrap_or_default();
    let column = header.iter().position(|name| *name == "total_xact_count");
    lines
        .find(|fields| fields.first() == Some(&database))
        .and_then(|fields| fields.get(column?)?.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn the_api_works_behind_pgbouncer_in_transaction_pooling_mode() {
    let Some(binary) = binary() else { return };
    let bouncer = start(&binary, 200).await;
    let app = app_behind(&bouncer).await;
    let bodies = workload(&app).await;
    assert_eq!(bodies.len(), 24);
    let failed = failures(&bodies);
    assert!(failed.is_empty(), "{failed:#?}");
    assert!(
        transactions_through(&bouncer, &app.db_name) > 24,
        "the requests went through PgBouncer"
    );
}

#[tokio::test]
async fn the_doctor_sees_transaction_pooling_and_asks_for_a_direct_connection() {
    let Some(binary) = binary() else { return };
    let bouncer = start(&binary, 200).await;
    let app = app_behind(&bouncer).await;
    let row = |checks: &[api::doctor::Check]| {
        checks
            .iter()
            .find(|c| c.name == "connection pooling")
            .cloned()
            .unwrap()
    };
    let mut settings = (*app.state.settings).clone();
    let found = row(&api::doctor::run(&settings).await);
    assert_eq!(found.status, api::doctor::Status::Ok, "{found:?}");
    assert!(
        found
            .detail
            .contains("transaction pooling (PgBouncer) seen"),
        "{found:?}"
    );
    settings.database.database_direct_url = None;
    let found = row(&api::doctor::run(&settings).await);
    assert_eq!(found.status, api::doctor::Status::Fail, "{found:?}");
    assert!(
        found.detail.contains("set DATABASE_DIRECT_URL"),
        "{found:?}"
    );
    // PostgreSQL itself: no pooling.
    settings.database.database_url = settings
        .database
        .database_url
        .replace(&format!(":{}/", bouncer.port), ":5432/");
    let found = row(&api::doctor::run(&settings).await);
    assert_eq!(found.status, api::doctor::Status::Ok, "{found:?}");
    assert!(
        found.detail.contains("no transaction pooling seen"),
        "{found:?}"
    );
}

#[tokio::test]
async fn without_prepared_statement_tracking_the_same_workload_breaks() {
    let Some(binary) = binary() else { return };
    let bouncer = start(&binary, 0).await;
    let app = app_behind(&bouncer).await;
    let bodies = workload(&app).await;
    // The server's log names the cause: `prepared statement "sqlx_s_1" already exists`; the
    // client sees INTERNAL errors, or 503 where its token could not be checked.
    assert!(
        !failures(&bodies).is_empty(),
        "sqlx names its prepared statements: PgBouncer must track them (max_prepared_statements)"
    );
}
