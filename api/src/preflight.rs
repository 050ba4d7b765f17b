//! Start-up checks that explain themselves. Before the server builds its pools it opens one
//! connection to each database it is configured with, and checks the folders it writes and
//! the port it listens on. Each failure is one line: what was tried (the database's user, host,
//! port and name, never the password), the cause, and the next step; a refused connection fails
//! at once, a silent host after `DB_CONNECT_TIMEOUT_SECS`. Without these, sqlx's pool retried a
//! refused connection for its whole acquire timeout (34 s) and then said only "pool timed out".
//! `api doctor` runs the same probes and more (`doctor/`).

use std::{fmt, path::Path, time::Duration};

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::{self, ConnectOptions, Connection, PgConnection, postgres::PgConnectOptions};

use crate::config::Settings;

const SEE_README: &str = "see README, \"Troubleshooting\", or run `api doctor`";

/// Why the server cannot start, in one line.
#[derive(Debug)]
pub struct Problem {
    /// What was tried, e.g. `connecting to PostgreSQL at postgres@127.0.0.1:5432/echo_health`.
    pub tried: String,
    pub cause: String,
    pub next: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}. Next: {}", self.tried, self.cause, self.next)
    }
}

impl std::error::Error for Problem {}

/// Where a database URL points, for messages: `user@host:port/name`, without the password.
pub fn describe(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(parsed) => format!(
            "{}@{}:{}{}",
            parsed.username(),
            parsed.host_str().unwrap_or("localhost"),
            parsed.port().unwrap_or(5432),
            parsed.path()
        ),
        Err(_) => "an unparseable URL".into(),
    }
}

/// What a failed connection attempt means.
#[derive(Debug)]
pub enum ConnectFailure {
    /// The server answered: the database does not exist.
    NoDatabase,
    /// Anything else, explained.
    Other { cause: String, next: String },
}

/// Opens one connection to `url` within `timeout`.
pub async fn connect(url: &str, timeout: Duration) -> Result<PgConnection, ConnectFailure> {
    let options: PgConnectOptions = url.parse().map_err(|err| ConnectFailure::Other {
        cause: format!("the URL is not valid ({err})"),
        next: "write it as postgres://user:password@host:port/database".into(),
    })?;
    let options = options.disable_statement_logging();
    match tokio::time::timeout(timeout, PgConnection::connect_with(&options)).await {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(err)) => Err(explain(&err)),
        Err(_) => Err(ConnectFailure::Other {
            cause: format!("no answer within {} s", timeout.as_secs()),
            next:
                "check the host and port and any firewall between, or raise DB_CONNECT_TIMEOUT_SECS"
                    .into(),
        }),
    }
}

fn explain(err: &sqlx::Error) -> ConnectFailure {
    let other = |cause: String, next: &str| ConnectFailure::Other {
        cause,
        next: next.to_owned(),
    };
    match err {
        sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => other(
            "connection refused: nothing listens there".into(),
            "start PostgreSQL (for example `pg_ctlcluster 15 main start`), or set DATABASE_URL to where it runs",
        ),
        sqlx::Error::Io(io) if io.to_string().contains("lookup address") => other(
            format!("the host name does not resolve ({io})"),
            "check the host in the URL",
        ),
        sqlx::Error::Io(io) => other(format!("{io}"), "check that PostgreSQL runs there"),
        sqlx::Error::Database(db) => match db.code().as_deref() {
            Some("3D000") => ConnectFailure::NoDatabase,
            Some("28P01") => other(
                format!("PostgreSQL refused the password ({})", db.message()),
                "check the user and password in the URL",
            ),
            Some("28000") => other(
                format!("PostgreSQL does not let this user in ({})", db.message()),
                "check the user in the URL, and pg_hba.conf on the server",
            ),
            Some("53300") => other(
                format!("PostgreSQL has no free connection ({})", db.message()),
                "lower DB_POOL_SIZE, stop other clients, or raise max_connections",
            ),
            _ => other(db.message().to_owned(), SEE_README),
        },
        sqlx::Error::Tls(tls) => other(
            format!("TLS failed ({tls})"),
            "check sslmode in the URL and the server's certificate",
        ),
        other_err => other(other_err.to_string(), SEE_README),
    }
}

fn problem(tried: String, failure: ConnectFailure, name: &str) -> Problem {
    match failure {
        ConnectFailure::NoDatabase => Problem {
            tried,
            cause: format!("the database {name} does not exist"),
            next: "create it, or let the server create it (leave SKIP_MIGRATIONS off)".into(),
        },
        ConnectFailure::Other { cause, next } => Problem { tried, cause, next },
    }
}

impl ConnectFailure {
    /// The failure in one sentence with its next step.
    pub fn explain(self) -> String {
        match self {
            ConnectFailure::NoDatabase => "the database does not exist".to_owned(),
            ConnectFailure::Other { cause, next } => format!("{cause}. Next: {next}"),
        }
    }
}

/// How long a check waits for a database that does not answer (`DB_CONNECT_TIMEOUT_SECS`).
pub fn connect_timeout(settings: &Settings) -> Duration {
    Duration::from_secs(settings.database.db_connect_timeout_secs.max(1))
}

/// Connects to the database at `url`, creating it first when it does not exist (the user needs
/// the right to).
pub async fn open_or_create(url: &str, timeout: Duration) -> Result<PgConnection, Problem> {
    let tried = format!("connecting to PostgreSQL at {}", describe(url));
    let (_, name) = crate::db::url::split_database_url(url).map_err(|err| Problem {
        tried: tried.clone(),
        cause: err.to_string(),
        next: "write DATABASE_URL as postgres://user:password@host:port/database".into(),
    })?;
    match connect(url, timeout).await {
        Ok(conn) => Ok(conn),
        Err(ConnectFailure::NoDatabase) => {
            create_database(url, &name, timeout).await?;
            connect(url, timeout)
                .await
                .map_err(|failure| problem(tried, failure, &name))
        }
        Err(failure) => Err(problem(tried, failure, &name)),
    }
}

/// Checks every database the settings name; creates the primary's database when it is missing
/// and migrations are on (the user needs the right to); refuses a database that a newer
/// version of this server has migrated.
pub async fn databases(settings: &Settings) -> Result<(), Problem> {
    let url = settings.direct_database_url();
    let timeout = connect_timeout(settings);
    let mut conn = if settings.database.skip_migrations {
        let tried = format!("connecting to PostgreSQL at {}", describe(url));
        let name = crate::db::url::split_database_url(url)
            .map(|(_, name)| name)
            .unwrap_or_default();
        connect(url, timeout)
            .await
            .map_err(|failure| problem(tried, failure, &name))?
    } else {
        open_or_create(url, timeout).await?
    };
    let unknown = Migrations::read(&mut conn)
        .await
        .map_err(|err| Problem {
            tried: format!("reading the migrations of {}", describe(url)),
            cause: err.to_string(),
            next: SEE_README.into(),
        })?
        .unknown();
    conn.close().await.ok();
    if !unknown.is_empty() {
        return Err(Problem {
            tried: format!("checking the schema of {}", describe(url)),
            cause: format!(
                "a newer version of this server has migrated it (migrations this version does not know: {})",
                unknown.join(", ")
            ),
            next: "run that newer version, or point DATABASE_URL at another database".into(),
        });
    }
    for (setting, other) in [
        (
            "DATABASE_URL",
            Some(settings.database.database_url.as_str()),
        ),
        (
            "DATABASE_READ_URL",
            settings.database.database_read_url.as_deref(),
        ),
    ] {
        let Some(other) = other.filter(|other| *other != url) else {
            continue;
        };
        let tried = format!(
            "connecting to PostgreSQL at {} ({setting})",
            describe(other)
        );
        let conn = connect(other, timeout)
            .await
            .map_err(|failure| problem(tried, failure, "named there"))?;
        conn.close().await.ok();
    }
    Ok(())
}

/// Creates the database `name` through the server's `postgres` database.
async fn create_database(url: &str, name: &str, timeout: Duration) -> Result<(), Problem> {
    let tried = format!("creating the database {name} at {}", describe(url));
    let (server_url, _) = crate::db::url::split_database_url(url).map_err(|err| Problem {
        tried: tried.clone(),
        cause: err.to_string(),
        next: SEE_README.into(),
    })?;
    let mut admin = connect(&server_url, timeout)
        .await
        .map_err(|failure| problem(tried.clone(), failure, "postgres"))?;
    // A name cannot be bound as a parameter; it is quoted as an identifier.
    let create = format!("CREATE DATABASE {}", crate::db::url::quote_ident(name));
    let created = sqlx::raw_sql(sqlx::AssertSqlSafe(create))
        .execute(&mut admin)
        .await;
    admin.close().await.ok();
    match created {
        Ok(_) => {
            tracing::info!(database = %name, "created database");
            Ok(())
        }
        Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("42P04") => Ok(()),
        Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("42501") => Err(Problem {
            tried,
            cause: format!(
                "it does not exist, and this user may not create databases ({})",
                db.message()
            ),
            next: format!(
                "create it as a superuser (`createdb {name}`), or grant this user CREATEDB"
            ),
        }),
        Err(err) => Err(Problem {
            tried,
            cause: err.to_string(),
            next: SEE_README.into(),
        }),
    }
}

/// The migrations a database has applied, beside the ones this binary has.
pub struct Migrations {
    pub applied: Vec<String>,
    pub known: Vec<String>,
}

impl Migrations {
    /// Reads `seaql_migrations` (none applied when the table does not exist yet).
    pub async fn read(conn: &mut PgConnection) -> Result<Self, sqlx::Error> {
        let exists: bool = sqlx::query_scalar("SELECT to_regclass('seaql_migrations') IS NOT NULL")
            .fetch_one(&mut *conn)
            .await?;
        let applied = if exists {
            sqlx::query_scalar("SELECT version FROM seaql_migrations")
                .fetch_all(&mut *conn)
                .await?
        } else {
            Vec::new()
        };
        let known = Migrator::migrations()
            .iter()
            .map(|m| m.name().to_owned())
            .collect();
        Ok(Self { applied, known })
    }

    /// Applied migrations this binary does not have: the schema is newer than the code.
    pub fn unknown(&self) -> Vec<String> {
        self.applied
            .iter()
            .filter(|version| !self.known.contains(version))
            .cloned()
            .collect()
    }

    /// Migrations this binary has that are not applied yet.
    pub fn pending(&self) -> usize {
        self.known
            .iter()
            .filter(|version| !self.applied.contains(version))
            .count()
    }
}

/// Checks that `dir` (the folder of setting `setting`) exists or can be made, and takes files.
pub fn writable(setting: &str, dir: &Path) -> Result<(), Problem> {
    let tried = format!("writing to {setting} {}", dir.display());
    let probe = dir.join(format!(".write-test-{}", uuid::Uuid::new_v4().simple()));
    let result = std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&probe, b"ok"))
        .and_then(|()| std::fs::remove_file(&probe));
    result.map_err(|err| Problem {
        tried,
        cause: err.to_string(),
        next: format!("set {setting} to a folder this user can write, or fix its permissions"),
    })
}

/// The folders the server writes with these settings.
pub fn folders(settings: &Settings) -> Vec<(&'static str, std::path::PathBuf)> {
    let mut folders = Vec::new();
    let uses_data_dir = settings.accounts.otp_secret.is_none()
        || settings.mail.smtp_url.is_none()
        || settings.storage.storage_root.is_none();
    if uses_data_dir {
        folders.push(("DATA_DIR", settings.server.data_dir.clone()));
    }
    if let Some(root) = &settings.storage.storage_root {
        folders.push(("STORAGE_ROOT", root.clone()));
    }
    folders
}

/// Binds the listener, or says why it cannot.
pub fn listen(host: &str, port: u16) -> Result<std::net::TcpListener, Problem> {
    std::net::TcpListener::bind((host, port)).map_err(|err| {
        let (cause, next) = match err.kind() {
            std::io::ErrorKind::AddrInUse => (
                "the address is already in use (another server, or an earlier run still going)"
                    .to_owned(),
                "stop that process, or set PORT to a free port".to_owned(),
            ),
            std::io::ErrorKind::PermissionDenied => (
                err.to_string(),
                "use a port above 1023, or run with the right to bind low ports".to_owned(),
            ),
            _ => (err.to_string(), "check HOST and PORT".to_owned()),
        };
        Problem {
            tried: format!("listening on {host}:{port}"),
            cause,
            next,
        }
    })
}
