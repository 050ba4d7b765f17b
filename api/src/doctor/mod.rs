//! `api doctor`: checks the configuration and every dependency it names, and prints one row
//! per check: `ok`, `warn` (works, but something is off or optional is missing), `FAIL`
//! (the server cannot work as configured) or `skip` (not configured). Every check runs, whatever
//! the others found; the exit status is non-zero when a check failed.

mod check;
mod database;
mod services;

use std::fmt::Write as _;

pub use self::check::{Check, Status};
use self::{
    check::check,
    database::{database, reachable},
    services::{ai, mail, ocr, otp_key},
};
use crate::{config::Settings, persisted::AllowList, preflight};

/// Runs every check.
pub async fn run(settings: &Settings) -> Vec<Check> {
    let mut checks = Vec::new();
    checks.extend(database(settings).await);
    for (name, setting, url) in [
        (
            "read replica",
            "DATABASE_READ_URL",
            settings.database.database_read_url.as_deref(),
        ),
        (
            "direct connection",
            "DATABASE_DIRECT_URL",
            settings.database.database_direct_url.as_deref(),
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
    checks.push(match &settings.graphql.persisted_queries_file {
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
    checks.push(
        match preflight::listen(&settings.server.host, settings.server.port) {
            Ok(_) => check(
                "port",
                Status::Ok,
                format!("{}:{} is free", settings.server.host, settings.server.port),
            ),
            // Not a failure of the setup: it may be this very server, running.
            Err(problem) => check(
                "port",
                Status::Warn,
                format!(
                    "{}:{}: {}",
                    settings.server.host, settings.server.port, problem.cause
                ),
            ),
        },
    );
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
