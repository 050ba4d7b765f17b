#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Test harness: each test gets the real server on a random port, against its own database
//! cloned from a migrated template.
//!
//! The template `echo_tpl_<fingerprint>` is named after a hash of the migration sources
//! compiled into the binary (`migration::SOURCES`): it is built once, under an advisory lock
//! so parallel test processes agree, and reused until a migration changes. Test databases are named `echo_test_<unix seconds>_...`
//! and dropped when their test ends; any older than two hours are leftovers of crashed runs and
//! are swept, with templates of other fingerprints, when a process first needs the template.
//! `TEST_LOG=1` turns the server's logs on.

pub mod documents;
pub mod fake_ai;
pub mod mail;
pub mod ws;

use std::{
    sync::Arc,
    time::{SystemTime, UNIX_EPOCH},
};

use api::{
    clock::{Clock, ManualClock},
    config::Settings,
    startup::Application,
};
use chrono::Duration;
use entity::users;
pub use mail::{MailServer, ReceivedMail};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, Database, DatabaseConnection, DbBackend,
    Statement,
};
use serde_json::{Value, json};
use tokio::sync::OnceCell;

pub const SERVER_URL: &str = "postgres://postgres@127.0.0.1:5432";
const STALE_AFTER_SECS: u64 = 2 * 60 * 60;

static TEMPLATE: OnceCell<String> = OnceCell::const_new();

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    /// A connection of the test's own (not counted in the server's statement counter).
    pub db: DatabaseConnection,
    pub db_name: String,
    pub database_url: String,
    pub state: api::state::AppState,
    /// The server's clock: tests move it forward instead of sleeping.
    pub clock: Arc<ManualClock>,
    /// The SMTP server the API mails through.
    pub mail: MailServer,
}

/// A GraphQL answer as the client saw it.
#[derive(Debug)]
pub struct GqlResponse {
    pub status: u16,
    pub content_type: String,
    pub body: Value,
}

impl GqlResponse {
    pub fn data(&self) -> &Value {
        &self.body["data"]
    }
    /// `extensions.code` of every error, in order.
    pub fn error_codes(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| e["extensions"]["code"].as_str().unwrap_or("").to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

async fn admin() -> DatabaseConnection {
    Database::connect(format!("{SERVER_URL}/postgres"))
        .await
        .expect("PostgreSQL must listen on 127.0.0.1:5432")
}

const TEMPLATE_LOCK: i64 = 0x0065_6368_6f74_706c; // "echotpl"

async fn template() -> &'static str {
    TEMPLATE
        .get_or_init(|| async {
            let name = format!("echo_tpl_{:016x}", migrations_fingerprint());
            let admin = admin().await;
            let lock = |f: &str| format!("SELECT {f}({TEMPLATE_LOCK})");
            admin
                .execute_unprepared(&lock("pg_advisory_lock"))
                .await
                .unwrap();
            sweep_stale_databases(&admin, &name).await;
            if !database_exists(&admin, &name).await {
                // Built under another name and renamed when complete, so a crash mid-way
                // never leaves a half-migrated template under the real name.
                let building = format!("{name}_building");
                drop_database(&admin, &building).await;
                let url = format!("{SERVER_URL}/{building}");
                api::db::ensure_database_exists(&url)
                    .await
                    .expect("create template database");
                api::db::migrate_up(&url)
                    .await
                    .expect("migrate template database");
                admin
                    .execute_unprepared(&format!(
                        "ALTER DATABASE \"{building}\" RENAME TO \"{name}\""
                    ))
                    .await
                    .expect("rename template database");
            }
            admin
                .execute_unprepared(&lock("pg_advisory_unlock"))
                .await
                .unwrap();
            admin.close().await.ok();
            name
        })
        .await
}

async fn database_exists(admin: &DatabaseConnection, name: &str) -> bool {
    let sql = format!("SELECT count(*) FROM pg_database WHERE datname = '{name}'");
    let row = admin
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap() == 1
}

async fn drop_database(admin: &DatabaseConnection, name: &str) {
    let _ = admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await;
}

/// Drops test databases of crashed runs and templates of other migration versions.
async fn sweep_stale_databases(admin: &DatabaseConnection, current_template: &str) {
    let sql = "SELECT datname FROM pg_database \
               WHERE datname LIKE 'echo\\_test\\_%' OR datname LIKE 'echo\\_tpl\\_%'";
    let rows = admin
        .query_all_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .unwrap_or_default();
    for row in rows {
        let Ok(name) = row.try_get::<String>("", "datname") else {
            continue;
        };
        let stale = match name.strip_prefix("echo_test_") {
            Some(rest) => rest
                .split('_')
                .next()
                .and_then(|s| s.parse::<u64>().ok())
                .is_some_and(|created| unix_now().saturating_sub(created) > STALE_AFTER_SECS),
            // Other migration versions, and half-built ones of a crashed run (we hold the lock).
            None => name != current_template,
        };
        if stale {
            drop_database(admin, &name).await;
        }
    }
}

/// A fresh, migrated database of the test's own; returns its name.
pub async fn fresh_database() -> String {
    let template = template().await;
    let name = format!("echo_test_{}_{}", unix_now(), uuid::Uuid::new_v4().simple());
    let admin = admin().await;
    admin
        .execute_unprepared(&format!(
            "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
        ))
        .await
        .expect("clone template database");
    admin.close().await.ok();
    name
}

/// A hash of the migration sources compiled into this binary (`migration::SOURCES`).
fn migrations_fingerprint() -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    migration::SOURCES.hash(&mut hasher);
    hasher.finish()
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the server with settings adjusted by `configure`.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let db_name = fresh_database().await;
    spawn_app_on(db_name, Arc::new(ManualClock::default()), configure).await
}

impl TestApp {
    /// A second server on this test's database (another replica, or the one after a restart),
    /// with its own clock and mail server, and the same server key (as replicas share
    /// `OTP_SECRET`).
    pub async fn another_server(&self, configure: impl FnOnce(&mut Settings)) -> TestApp {
        self.another_server_later(Duration::zero(), configure).await
    }

    /// [`another_server`](Self::another_server) whose clock runs `later` ahead from its first
    /// moment: a restart after an outage of that length.
    pub async fn another_server_later(
        &self,
        later: Duration,
        configure: impl FnOnce(&mut Settings),
    ) -> TestApp {
        let key = self.state.settings.accounts.otp_secret.clone();
        let clock = Arc::new(ManualClock::default());
        clock.advance(later);
        spawn_app_on(self.db_name.clone(), clock, move |s| {
            s.accounts.otp_secret = key;
            configure(s);
        })
        .await
    }
}

async fn spawn_app_on(
    db_name: String,
    clock: Arc<ManualClock>,
    configure: impl FnOnce(&mut Settings),
) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        let settings = Settings::for_database("");
        api::telemetry::init(&settings);
    }
    let database_url = format!("{SERVER_URL}/{db_name}");
    let mail = MailServer::start();
    let mut settings = Settings::for_database(&database_url);
    settings.mail.smtp_url = Some(mail.url.clone());
    configure(&mut settings);
    let app = Application::build_with_clock(settings, Some(clock.clone()))
        .await
        .expect("build application");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    // The session cache turns on once the server's LISTEN connection has heard its probe (a
    // few milliseconds): tests that count statements see it on from their first request.
    if state.settings.accounts.session_cache_size > 0 {
        let cache = &state.services.session_cache;
        for _ in 0..10_000 {
            if cache.is_on() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        assert!(
            cache.is_on(),
            "the session cache did not turn on within 10 s"
        );
    }
    TestApp {
        address,
        client: reqwest::Client::new(),
        db: Database::connect(&database_url)
            .await
            .expect("connect test database"),
        db_name,
        database_url,
        state,
        clock,
        mail,
    }
}

impl TestApp {
    /// POST /graphql as an anonymous caller.
    pub async fn graphql(&self, query: &str, variables: Value) -> GqlResponse {
        self.graphql_as(None, query, variables).await
    }

    /// POST /graphql, with `Authorization: Bearer <token>` when a token is given.
    pub async fn graphql_as(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> GqlResponse {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.address))
            .header("content-type", "application/json")
            .header("accept", "application/graphql-response+json")
            .body(json!({ "query": query, "variables": variables }).to_string());
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        read_gql(request.send().await.expect("request reaches the server")).await
    }

    /// A GraphQL multipart request (the upload specification) carrying one file as the
    /// variable `file`.
    pub async fn upload_as(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
        file: &UploadFile<'_>,
    ) -> GqlResponse {
        let boundary = format!("echo-{}", uuid::Uuid::new_v4().simple());
        let mut variables = variables;
        variables["file"] = Value::Null;
        let mut body = Vec::new();
        let mut part = |headers: String, content: &[u8]| {
            body.extend_from_slice(format!("--{boundary}\r\n{headers}\r\n\r\n").as_bytes());
            body.extend_from_slice(content);
            body.extend_from_slice(b"\r\n");
        };
        let operations = json!({ "query": query, "variables": variables }).to_string();
        part(
            "Content-Disposition: form-data; name=\"operations\"".into(),
            operations.as_bytes(),
        );
        part(
            "Content-Disposition: form-data; name=\"map\"".into(),
            br#"{"0":["variables.file"]}"#,
        );
        let mut headers = format!(
            "Content-Disposition: form-data; name=\"0\"; filename=\"{}\"",
            file.name.replace('"', "%22")
        );
        if let Some(content_type) = file.content_type {
            headers.push_str(&format!("\r\nContent-Type: {content_type}"));
        }
        part(headers, &file.bytes);
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let mut request = self
            .client
            .post(format!("{}/graphql", self.address))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        read_gql(request.send().await.expect("request reaches the server")).await
    }

    /// GET a path with the bearer token (and a `Range` header when given).
    pub async fn download(
        &self,
        token: Option<&str>,
        path: &str,
        range: Option<&str>,
    ) -> reqwest::Response {
        // An absolute URL (a signed link from the API) as it is; a path on this server.
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.address)
        };
        let mut request = self.client.get(url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(range) = range {
            request = request.header("range", range);
        }
        request.send().await.expect("request reaches the server")
    }

    /// The bearer-token route of a signed download link: its path, without host or query.
    pub fn bearer_path(link: &str) -> String {
        let path = link.split_once("://").map_or(link, |(_, rest)| {
            rest.find('/').map_or("/", |slash| &rest[slash..])
        });
        path.split('?').next().unwrap_or(path).to_owned()
    }

    /// The files under the storage root (relative paths), sorted.
    pub fn stored_files(&self) -> Vec<String> {
        fn walk(dir: &std::path::Path, root: &std::path::Path, out: &mut Vec<String>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, root, out);
                } else {
                    out.push(path.strip_prefix(root).unwrap().display().to_string());
                }
            }
        }
        let root = self.state.settings.storage_root();
        let mut files = Vec::new();
        walk(&root, &root, &mut files);
        files.sort();
        files
    }

    /// SQL statements the server has sent so far.
    pub fn statements(&self) -> u64 {
        self.state.db_stats.statements()
    }

    /// A verified, active user with the given email.
    pub async fn create_user(&self, email: &str) -> users::Model {
        users::ActiveModel {
            email: Set(email.to_lowercase()),
            password_hash: Set("$argon2id$v=19$m=19456,t=2,p=1$not-a-real-hash".into()),
            first_name: Set("Test".into()),
            last_name: Set("User".into()),
            is_verified: Set(true),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .expect("insert user")
    }

    /// A verified, active user with a role (`user`, `clinician`, `admin`) and a name.
    pub async fn create_user_as(
        &self,
        email: &str,
        role: &str,
        first_name: &str,
        last_name: &str,
    ) -> users::Model {
        let user = self.create_user(email).await;
        let mut model: users::ActiveModel = user.into();
        model.role = Set(role.into());
        model.first_name = Set(first_name.into());
        model.last_name = Set(last_name.into());
        model.update(&self.db).await.expect("update user")
    }

    /// Opens a device session for `user` the way sign-in does; returns the bearer token.
    pub async fn sign_in(&self, user: &users::Model) -> String {
        let device = json!({ "name": "test device", "platform": "test" });
        let new = api::auth::service::NewSession {
            user_id: user.id,
            device_info: device,
            ip: None,
            lifetime: Duration::hours(12),
            idle_timeout: Duration::minutes(30),
        };
        let (token, _) = api::auth::service::open_session(&self.db, new, self.clock.now())
            .await
            .expect("open session");
        token
    }

    /// Runs `sql`, then waits until this server has heard of every account change it made
    /// (`auth_changes_heard`), as a server's own writes are.
    pub async fn execute(&self, sql: &str) {
        self.db.execute_unprepared(sql).await.expect("test SQL");
        self.auth_changes_heard().await;
    }

    /// Waits (up to 10 s) until this server's LISTEN connection has delivered every
    /// `auth_changes` notice committed so far: sends a barrier (a negative number) and waits
    /// for the session cache to see it, since notices arrive in commit order. A barrier sent
    /// while the connection was down is lost, so a new one goes out every 100 ms.
    pub async fn auth_changes_heard(&self) {
        let cache = &self.state.services.session_cache;
        for _ in 0..100 {
            let barrier = -i32::try_from(uuid::Uuid::new_v4().as_u128() % (i32::MAX as u128))
                .expect("fits")
                - 1;
            self.db
                .execute_unprepared(&format!("SELECT pg_notify('auth_changes', '{barrier}')"))
                .await
                .expect("barrier");
            for _ in 0..100 {
                if cache.barrier() == barrier {
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            }
        }
        panic!("the server did not hear an auth_changes barrier within 10 s");
    }

    pub async fn scalar_text(&self, sql: &str) -> String {
        let row = self
            .db
            .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
            .await
            .expect("test query")
            .expect("one row");
        row.try_get_by_index::<String>(0).expect("text")
    }

    /// Waits (up to 10 s) until no mail is queued or being sent: every mail the requests so
    /// far queued has reached the SMTP server, or been given up. A server without job
    /// workers never drains, and the test fails here rather than pass on an empty inbox.
    pub async fn mail_drained(&self) {
        const PENDING: &str = "SELECT count(*) FROM jobs \
             WHERE kind = 'send_mail' AND status IN ('queued', 'running')";
        for _ in 0..200 {
            if self.scalar_i64(PENDING).await == 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("mail still queued after 10 s");
    }

    /// `GET /metrics` with the scrape token `token`: the text exposition.
    pub async fn metrics(&self, token: &str) -> String {
        self.client
            .get(format!("{}/metrics", self.address))
            .bearer_auth(token)
            .send()
            .await
            .expect("request reaches the server")
            .text()
            .await
            .expect("a text body")
    }

    /// Waits (up to 10 s) until this server's job workers have looked for due jobs `count`
    /// times since it started: whatever they could claim by then, they have.
    pub async fn wait_for_job_polls(&self, count: u64) {
        use std::sync::atomic::Ordering;
        for _ in 0..200 {
            if self.state.services.job_polls.load(Ordering::Relaxed) >= count {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the job workers did not poll {count} times within 10 s");
    }

    /// How many messages `address` has once every queued mail is delivered.
    pub async fn settled_mail_count(&self, address: &str) -> usize {
        self.mail_drained().await;
        self.mail.messages_to(address).len()
    }

    pub async fn scalar_i64(&self, sql: &str) -> i64 {
        let row = self
            .db
            .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
            .await
            .expect("test query")
            .expect("one row");
        row.try_get_by_index::<i64>(0).expect("an integer")
    }
}

/// What the child server prints once it listens, followed by its port.
pub const CHILD_PORT_LINE: &str = "ECHO_CHILD_PORT=";

/// A server in a process of its own: the `child-server` binary of this package
/// (`src/bin/child_server.rs`, built by `cargo test` beside the test binary) on the test's
/// database and storage (configured through `ECHO_CHILD_*` variables). Killed with SIGKILL
/// when dropped.
pub struct ChildServer {
    child: std::process::Child,
    pub address: String,
}

impl ChildServer {
    pub fn start(app: &TestApp, env: &[(&str, String)]) -> Self {
        use std::io::BufRead;
        // The test binary runs from target/<profile>/deps; Cargo puts the package's binaries
        // one folder up.
        let binary = std::env::current_exe()
            .unwrap()
            .parent()
            .and_then(std::path::Path::parent)
            .unwrap()
            .join("child-server");
        assert!(
            binary.exists(),
            "{} is built by cargo test",
            binary.display()
        );
        let mut command = std::process::Command::new(binary);
        command
            .env("ECHO_CHILD_DATABASE_URL", &app.database_url)
            .env("ECHO_CHILD_STORAGE_ROOT", app.state.settings.storage_root())
            .env(
                "ECHO_CHILD_OTP_SECRET",
                app.state
                    .settings
                    .accounts
                    .otp_secret
                    .clone()
                    .unwrap_or_default(),
            )
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = std::io::BufReader::new(stdout).lines();
        let port = loop {
            let line = lines
                .next()
                .expect("the child server printed its port")
                .unwrap();
            if let Some((_, port)) = line.split_once(CHILD_PORT_LINE) {
                break port.trim().to_owned();
            }
        };
        // Keep reading so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Self {
            child,
            address: format!("http://127.0.0.1:{port}"),
        }
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A file to upload.
pub struct UploadFile<'a> {
    pub name: &'a str,
    pub content_type: Option<&'a str>,
    pub bytes: Vec<u8>,
}

/// The `data` of a response that must have no errors.
/// The nodes of a Relay connection, in order.
pub fn nodes(connection: &Value) -> Vec<Value> {
    connection["edges"]
        .as_array()
        .map(|edges| edges.iter().map(|e| e["node"].clone()).collect())
        .unwrap_or_default()
}

pub fn ok(response: &GqlResponse) -> &Value {
    assert!(
        response.body.get("errors").is_none(),
        "unexpected errors: {:?}",
        response.body
    );
    response.data()
}

pub async fn read_gql(response: reqwest::Response) -> GqlResponse {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = response.text().await.expect("response body");
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("status {status}: body is not JSON: {text}"));
    GqlResponse {
        status,
        content_type,
        body,
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Drop the database from a thread of its own: Drop cannot await, and the test's runtime
        // is shutting down. FORCE ends the server's pooled connections.
        let name = self.db_name.clone();
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async {
                if let Ok(admin) = Database::connect(format!("{SERVER_URL}/postgres")).await {
                    drop_database(&admin, &name).await;
                    let _ = admin.close().await;
                }
            });
        })
        .join();
    }
}
