//! `api doctor`: checks the configuration and every dependency it names, and prints one row
//! per check: `ok`, `warn` (works, but something is off or optional is missing), `FAIL`
//! (the server cannot work as configured) or `skip` (not configured). Every check runs, whatever
//! the others found; the exit status is non-zero when a check failed.

use std::{fmt::Write as _, time::Duration};

use sea_orm::sqlx::{self, Connection};

use crate::{
    config::Settings,
    persisted::AllowList,
    preflight::{self, ConnectFailure, Migrations},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    Warn,
    Fail,
    Skip,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "FAIL",
            Status::Skip => "skip",
        }
    }
}

/// One checked thing and what was found.
#[derive(Debug, Clone)]
pub struct Check {
    pub name: &'static str,
    pub status: Status,
    pub detail: String,
}

fn check(name: &'static str, status: Status, detail: impl Into<String>) -> Check {
    Check {
        name,
        status,
        detail: detail.into(),
    }
}

/// The oldest PostgreSQL the server is tested with.
const MIN_POSTGRES: i32 = 150_000;
/// How long a network check (SMTP, the AI provider) may take.
const NETWORK_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs every check.
pub async fn run(settings: &Settings) -> Vec<Check> {
    let mut checks = Vec::new();
    checks.extend(database(settings).await);
    for (name, setting, url) in [
        (
            "read replica",
            "DATABASE_READ_URL",
            settings.database_read_url.as_deref(),
        ),
        (
            "direct connection",
            "DATABASE_DIRECT_URL",
            settings.database_direct_url.as_deref(),
        ),
    ] {
        checks.push(match url {
            None => check(name, Status::Skip, format!("{setting} not set")),
            Some(url) => match reachable(settings, url).await {
                Ok(version) => check(
                    name,
                    Status::Ok,
                    format!("{}: PostgreSQL {version}", preflight::describe(url)),
                ),
                Err(why) => check(
                    name,
                    Status::Fail,
                    format!("{}: {why}", preflight::describe(url)),
                ),
            },
        });
    }
    checks.push(mail(settings).await);
    for (setting, dir) in preflight::folders(settings) {
        let name = if setting == "DATA_DIR" {
            "data folder"
        } else {
            "storage"
        };
        checks.push(match preflight::writable(setting, &dir) {
            Ok(()) => check(name, Status::Ok, format!("{} is writable", dir.display())),
            Err(problem) => check(
                name,
                Status::Fail,
                format!("{}: {}", dir.display(), problem.cause),
            ),
        });
    }
    checks.push(otp_key(settings));
    checks.push(ocr(settings).await);
    checks.push(ai(settings).await);
    checks.push(match &settings.persisted_queries_file {
        None => check(
            "persisted operations",
            Status::Skip,
            "PERSISTED_QUERIES_FILE not set",
        ),
        Some(path) => match AllowList::load(path) {
            Ok(list) => check(
                "persisted operations",
                Status::Ok,
                format!("{} operations in {}", list.len(), path.display()),
            ),
            Err(why) => check("persisted operations", Status::Fail, why),
        },
    });
    checks.push(match preflight::listen(&settings.host, settings.port) {
        Ok(_) => check(
            "port",
            Status::Ok,
            format!("{}:{} is free", settings.host, settings.port),
        ),
        // Not a failure of the setup: it may be this very server, running.
        Err(problem) => check(
            "port",
            Status::Warn,
            format!("{}:{}: {}", settings.host, settings.port, problem.cause),
        ),
    });
    checks
}

/// The table `api doctor` prints, and whether every required check passed.
pub fn report(checks: &[Check]) -> (String, bool) {
    let width = checks.iter().map(|c| c.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for c in checks {
        let _ = writeln!(
            out,
            "{:<width$}  {:<4}  {}",
            c.name,
            c.status.label(),
            c.detail
        );
    }
    let failed = checks.iter().filter(|c| c.status == Status::Fail).count();
    if failed == 0 {
        out.push_str("\nall required checks passed\n");
    } else {
        let _ = writeln!(
            out,
            "\n{failed} check(s) failed; see README, \"Troubleshooting\""
        );
    }
    (out, failed == 0)
}

/// Connects and returns the server's version, or why not.
async fn reachable(settings: &Settings, url: &str) -> Result<String, String> {
    let mut conn = preflight::connect(url, preflight::connect_timeout(settings))
        .await
        .map_err(ConnectFailure::explain)?;
    let version: String = sqlx::query_scalar("SHOW server_version")
        .fetch_one(&mut conn)
        .await
        .map_err(|err| err.to_string())?;
    conn.close().await.ok();
    Ok(version)
}

/// PostgreSQL at DATABASE_URL: reachable, recent enough, migrated, pooled how.
async fn database(settings: &Settings) -> Vec<Check> {
    let url = settings.direct_database_url();
    let place = preflight::describe(url);
    let mut conn = match preflight::connect(url, preflight::connect_timeout(settings)).await {
        Ok(conn) => conn,
        Err(failure) => {
            let (status, why) = match failure {
                // Created at start-up when migrations are on.
                ConnectFailure::NoDatabase if !settings.skip_migrations => (
                    Status::Warn,
                    "the database does not exist yet; the server creates it at start".to_owned(),
                ),
                failure => (Status::Fail, failure.explain()),
            };
            return vec![
                check("postgresql", status, format!("{place}: {why}")),
                check("migrations", Status::Skip, "no database to read"),
                check("connection pooling", Status::Skip, "no database to read"),
            ];
        }
    };
    let mut checks = Vec::new();
    let version: Result<(i32, String), sqlx::Error> = async {
        let number: String = sqlx::query_scalar("SHOW server_version_num")
            .fetch_one(&mut conn)
            .await?;
        let text: String = sqlx::query_scalar("SHOW server_version")
            .fetch_one(&mut conn)
            .await?;
        Ok((number.parse().unwrap_or(0), text))
    }
    .await;
    checks.push(match version {
        Ok((number, text)) if number >= MIN_POSTGRES => check(
            "postgresql",
            Status::Ok,
            format!("{place}: PostgreSQL {text}"),
        ),
        Ok((_, text)) => check(
            "postgresql",
            Status::Fail,
            format!("{place}: PostgreSQL {text}; version 15 or newer is needed"),
        ),
        Err(err) => check("postgresql", Status::Fail, format!("{place}: {err}")),
    });
    checks.push(migrations(&mut conn, settings).await);
    conn.close().await.ok();
    checks.push(pooling(settings).await);
    checks
}

async fn migrations(conn: &mut sqlx::PgConnection, settings: &Settings) -> Check {
    let migrations = match Migrations::read(conn).await {
        Ok(migrations) => migrations,
        Err(err) => return check("migrations", Status::Fail, err.to_string()),
    };
    let unknown = migrations.unknown();
    if !unknown.is_empty() {
        return check(
            "migrations",
            Status::Fail,
            format!(
                "migrated by a newer version ({}); run that version",
                unknown.join(", ")
            ),
        );
    }
    match (migrations.pending(), settings.skip_migrations) {
        (0, _) => check(
            "migrations",
            Status::Ok,
            format!("all {} applied", migrations.known.len()),
        ),
        (n, false) => check(
            "migrations",
            Status::Warn,
            format!("{n} pending; applied when the server starts"),
        ),
        (n, true) => check(
            "migrations",
            Status::Fail,
            format!("{n} pending and SKIP_MIGRATIONS is on; run `api migrate up`"),
        ),
    }
}

/// Whether DATABASE_URL goes through a transaction-pooling proxy (PgBouncer), checked on
/// DATABASE_URL's own connections (the other checks go to DATABASE_DIRECT_URL when it is set,
/// which is PostgreSQL itself). Two client connections each hold a transaction, end them in
/// one order and then in the other, and the first asks again which server session it is on:
/// on PostgreSQL (or a session pool) always its own; behind a transaction pool, whichever
/// session the pool hands out next, which in one of the two orders is the other's (a pool
/// reuses the last released session, or the first).
async fn pooling(settings: &Settings) -> Check {
    let url = &settings.database_url;
    let timeout = preflight::connect_timeout(settings);
    let (mut a, mut b) = match (
        preflight::connect(url, timeout).await,
        preflight::connect(url, timeout).await,
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(failure), _) | (_, Err(failure)) => {
            let why = format!("{}: {}", preflight::describe(url), failure.explain());
            return check("connection pooling", Status::Fail, why);
        }
    };
    // A pool of one session would make the second transaction wait for the first.
    let seen = tokio::time::timeout(NETWORK_TIMEOUT, moved_sessions(&mut a, &mut b)).await;
    a.close().await.ok();
    b.close().await.ok();
    let pooled = match seen {
        Ok(Ok(pooled)) => pooled,
        Ok(Err(err)) => return check("connection pooling", Status::Warn, err.to_string()),
        Err(_) => {
            let why = "two connections could not hold a transaction each within 5 s (a pool of one session?)";
            return check("connection pooling", Status::Warn, why);
        }
    };
    match (pooled, settings.database_direct_url.is_some()) {
        (false, _) => check(
            "connection pooling",
            Status::Ok,
            "one server session per connection (no transaction pooling seen)",
        ),
        (true, true) => check(
            "connection pooling",
            Status::Ok,
            "transaction pooling (PgBouncer) seen; LISTEN uses DATABASE_DIRECT_URL",
        ),
        (true, false) => check(
            "connection pooling",
            Status::Fail,
            "transaction pooling (PgBouncer) seen: chat events need LISTEN; set DATABASE_DIRECT_URL to PostgreSQL itself",
        ),
    }
}

/// Whether connection `a` found itself on another server session after transactions of `a`
/// and `b` ended, in either order. On PostgreSQL itself the answer is always no, so trying
/// again costs nothing in certainty; behind a pool, another client (the server's own workers)
/// can take the released session between two steps and hide the move once, so the pair of
/// orders is tried a few times before the answer is no.
async fn moved_sessions(
    a: &mut sqlx::PgConnection,
    b: &mut sqlx::PgConnection,
) -> Result<bool, sqlx::Error> {
    const PID: &str = "SELECT pg_backend_pid()";
    const ROUNDS: usize = 8;
    for a_first in [true, false].into_iter().cycle().take(2 * ROUNDS) {
        let mut ta = a.begin().await?;
        let before: i32 = sqlx::query_scalar(PID).fetch_one(&mut *ta).await?;
        let mut tb = b.begin().await?;
        let _: i32 = sqlx::query_scalar(PID).fetch_one(&mut *tb).await?;
        if a_first {
            ta.commit().await?;
            tb.commit().await?;
        } else {
            tb.commit().await?;
            ta.commit().await?;
        }
        let after: i32 = sqlx::query_scalar(PID).fetch_one(&mut *a).await?;
        if after != before {
            return Ok(true);
        }
    }
    Ok(false)
}

async fn mail(settings: &Settings) -> Check {
    match &settings.smtp_url {
        Some(url) => match crate::mail::SmtpMailer::check(url, NETWORK_TIMEOUT).await {
            Ok(()) => check(
                "mail",
                Status::Ok,
                format!("SMTP server at {} answers EHLO and NOOP", smtp_place(url)),
            ),
            Err(err) => check(
                "mail",
                Status::Fail,
                format!("SMTP server at {}: {err}", smtp_place(url)),
            ),
        },
        None => {
            let outbox = settings.outbox_dir();
            match preflight::writable("DATA_DIR", &outbox) {
                Ok(()) => check(
                    "mail",
                    Status::Ok,
                    format!("no SMTP_URL: mail is written to {}", outbox.display()),
                ),
                Err(problem) => check(
                    "mail",
                    Status::Fail,
                    format!(
                        "no SMTP_URL, and the outbox {}: {}",
                        outbox.display(),
                        problem.cause
                    ),
                ),
            }
        }
    }
}

/// `host:port` of an SMTP URL, without credentials.
fn smtp_place(url: &str) -> String {
    url::Url::parse(url)
        .map(|u| {
            format!(
                "{}:{}",
                u.host_str().unwrap_or("?"),
                u.port_or_known_default().unwrap_or(25)
            )
        })
        .unwrap_or_else(|_| "an unparseable SMTP_URL".into())
}

fn otp_key(settings: &Settings) -> Check {
    match &settings.otp_secret {
        Some(hex) => match crate::auth::otp::OtpKey::from_hex(hex) {
            Ok(_) => check("one-time-code key", Status::Ok, "OTP_SECRET set"),
            Err(err) => check(
                "one-time-code key",
                Status::Fail,
                format!("OTP_SECRET: {err}"),
            ),
        },
        None => {
            let path = settings.otp_key_file();
            match std::fs::read_to_string(&path) {
                Ok(text) => match crate::auth::otp::OtpKey::from_hex(&text) {
                    Ok(_) => check(
                        "one-time-code key",
                        Status::Ok,
                        format!(
                            "{} (replicas must share it: set OTP_SECRET)",
                            path.display()
                        ),
                    ),
                    Err(err) => check(
                        "one-time-code key",
                        Status::Fail,
                        format!("{}: {err}", path.display()),
                    ),
                },
                Err(_) => check(
                    "one-time-code key",
                    Status::Warn,
                    format!("none yet; generated into {} at first start", path.display()),
                ),
            }
        }
    }
}

async fn ocr(settings: &Settings) -> Check {
    let output = tokio::process::Command::new(&settings.ocr_command)
        .arg("--list-langs")
        .kill_on_drop(true)
        .output();
    match tokio::time::timeout(NETWORK_TIMEOUT, output).await {
        Ok(Ok(output)) if output.status.success() => {
            // Tesseract lists its languages after a heading line (on stdout or stderr by version).
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            let languages: Vec<&str> = text
                .lines()
                .skip(1)
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            if languages.contains(&"eng") {
                check(
                    "ocr",
                    Status::Ok,
                    format!(
                        "{}: languages {}",
                        settings.ocr_command,
                        languages.join(", ")
                    ),
                )
            } else {
                check(
                    "ocr",
                    Status::Warn,
                    format!(
                        "{}: no English data (eng); install tesseract-ocr-eng",
                        settings.ocr_command
                    ),
                )
            }
        }
        Ok(Ok(output)) => check(
            "ocr",
            Status::Warn,
            format!("{} exited with {}", settings.ocr_command, output.status),
        ),
        Ok(Err(err)) => check(
            "ocr",
            Status::Warn,
            format!(
                "{}: {err}; scanned images are stored but not read (install tesseract-ocr)",
                settings.ocr_command
            ),
        ),
        Err(_) => check(
            "ocr",
            Status::Warn,
            format!("{} did not answer within 5 s", settings.ocr_command),
        ),
    }
}

async fn ai(settings: &Settings) -> Check {
    let Some(base) = &settings.ai_base_url else {
        return check(
            "ai provider",
            Status::Skip,
            "AI_BASE_URL not set: the built-in assistant answers",
        );
    };
    let url = format!("{}/models", base.trim_end_matches('/'));
    let client = match reqwest::Client::builder().timeout(NETWORK_TIMEOUT).build() {
        Ok(client) => client,
        Err(err) => return check("ai provider", Status::Fail, err.to_string()),
    };
    let mut request = client.get(&url);
    if let Some(key) = &settings.ai_api_key {
        request = request.bearer_auth(key);
    }
    let response = match request.send().await {
        Ok(response) => response,
        Err(err) => {
            return check(
                "ai provider",
                Status::Fail,
                format!("{url}: {}", crate::error::error_chain(&err)),
            );
        }
    };
    let status = response.status();
    if !status.is_success() {
        return check(
            "ai provider",
            Status::Fail,
            format!("{url} answered {status}"),
        );
    }
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    let listed = body["data"]
        .as_array()
        .is_some_and(|models| models.iter().any(|m| m["id"] == settings.ai_model.as_str()));
    if listed {
        check(
            "ai provider",
            Status::Ok,
            format!("{url} lists {}", settings.ai_model),
        )
    } else {
        check(
            "ai provider",
            Status::Warn,
            format!(
                "{url} answers but does not list the model {}",
                settings.ai_model
            ),
        )
    }
}
