//! The command line: `serve` (the default), `migrate`, `export-schema`, `doctor`,
//! `users set-role`, `seed`.

use clap::{Parser, Subcommand};
use migration::{Migrator, MigratorTrait};

use crate::{
    admin::{self, service::Actor},
    config::Settings,
    db,
    enums::Role,
    schema,
    startup::Application,
};

#[derive(Debug, Parser)]
#[command(name = "api", version, about = "Echo Health API: the GraphQL server")]
pub struct Cli {
    #[command(flatten)]
    pub settings: Settings,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (the default when no command is given).
    Serve,
    /// Apply, revert or inspect database migrations.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Print the GraphQL schema (SDL); `schema.graphql` is this output.
    ExportSchema,
    /// Check the configuration and every dependency (database, mail, storage, OCR, AI
    /// provider, ...) and print what works; exits non-zero when something required fails.
    Doctor,
    /// Manage accounts from the server's side (e.g. make the first admin).
    Users {
        #[command(subcommand)]
        action: UsersAction,
    },
    /// Fill the database with realistic, deterministic test data (docs/seed.md).
    Seed {
        /// How many users to create (with their assessments, reports, chats, ...).
        #[arg(long)]
        users: i32,
        /// The random seed: the same seed gives the same rows.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Delete everything in the database first (otherwise a non-empty one is refused).
        #[arg(long)]
        replace: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum UsersAction {
    /// Give the account with EMAIL a role: user, clinician or admin. Recorded in the audit log
    /// as done from the command line.
    SetRole {
        email: String,
        #[arg(value_parser = parse_role)]
        role: Role,
    },
}

fn parse_role(text: &str) -> Result<Role, String> {
    let text = text.trim().to_lowercase();
    Role::ALL
        .iter()
        .copied()
        .find(|role| role.as_db() == text)
        .ok_or_else(|| "the role is one of: user, clinician, admin".to_owned())
}

#[derive(Debug, Subcommand)]
pub enum MigrateAction {
    /// Create the database if missing and apply every pending migration.
    Up,
    /// Revert the most recent migrations.
    Down {
        /// How many migrations to revert.
        #[arg(long, default_value_t = 1, conflicts_with = "all")]
        steps: u32,
        /// Revert every migration (leaves an empty schema).
        #[arg(long)]
        all: bool,
    },
    /// List migrations and whether each is applied.
    Status,
    /// Drop every table and apply all migrations again. Destroys data.
    Fresh,
}

pub type CliError = Box<dyn std::error::Error + Send + Sync>;

/// The whole program for the arguments `args` (the first is the program's name): reads `.env`,
/// starts logging, runs the command; returns the exit status. The binary is this and nothing
/// else, so tests run the very same start-up (`tests/api/first_run.rs`).
pub async fn main(args: impl IntoIterator<Item = std::ffi::OsString>) -> u8 {
    // A missing .env is normal; a malformed one is worth knowing about before anything starts.
    if let Err(err) = dotenvy::dotenv()
        && !err.not_found()
    {
        eprintln!("could not read .env: {err}");
        return 1;
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => {
            // Help and version go to stdout with status 0; a bad setting to stderr with 2.
            let _ = err.print();
            return u8::try_from(err.exit_code()).unwrap_or(2);
        }
    };
    crate::telemetry::init(&cli.settings);
    match run(cli).await {
        Ok(()) => 0,
        Err(err) => {
            eprintln!("error: {err}");
            1
        }
    }
}

pub async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = Application::build(cli.settings).await?;
            app.stop_on_signals();
            app.run_until_stopped().await?;
            tracing::info!("stopped");
        }
        Command::ExportSchema => print!("{}", schema::export_sdl()),
        Command::Doctor => {
            let checks = crate::doctor::run(&cli.settings).await;
            let (table, passed) = crate::doctor::report(&checks);
            print!("{table}");
            if !passed {
                return Err("api doctor found a problem".into());
            }
        }
        Command::Migrate { action } => migrate(&cli.settings, action).await?,
        Command::Users {
            action: UsersAction::SetRole { email, role },
        } => {
            let conn = db::connect_single(&cli.settings.database.database_url).await?;
            let user = admin::service::find_by_email(&conn, &email)
                .await
                .map_err(|_| format!("no account has the email address {email}"))?;
            let now = chrono::Utc::now();
            let user =
                admin::service::set_role(&conn, Actor::COMMAND_LINE, user.id, role, now).await?;
            conn.close().await?;
            println!("{} is now {}", user.email, user.role);
        }
        Command::Seed {
            users,
            seed,
            replace,
        } => {
            let url = &cli.settings.database.database_url;
            db::ensure_database_exists(url).await?;
            db::migrate_up(url).await?;
            let conn = db::connect(&cli.settings, 2).await?;
            let options = crate::seed::SeedOptions {
                users,
                seed,
                replace,
            };
            let seeded = crate::seed::seed(&conn, options, true).await?;
            conn.close().await?;
            println!("seeded in {:.1} s:", seeded.seconds);
            for (table, rows) in seeded.rows {
                println!("  {table:<20} {rows:>10}");
            }
            println!(
                "every account's password is {:?}; user1@{} is an admin",
                crate::seed::SEED_PASSWORD,
                crate::seed::generate::EMAIL_DOMAIN
            );
        }
    }
    Ok(())
}

async fn migrate(settings: &Settings, action: MigrateAction) -> Result<(), CliError> {
    if let MigrateAction::Up = action {
        db::ensure_database_exists(settings.direct_database_url()).await?;
        db::migrate_up(settings.direct_database_url()).await?;
        println!("migrations applied");
        return Ok(());
    }
    let conn = db::connect_single(settings.direct_database_url()).await?;
    match action {
        MigrateAction::Up => unreachable!("handled above"),
        MigrateAction::Down { steps, all } => {
            Migrator::down(&conn, if all { None } else { Some(steps) }).await?;
            println!("migrations reverted");
        }
        MigrateAction::Fresh => {
            Migrator::fresh(&conn).await?;
            println!("database recreated from migrations");
        }
        MigrateAction::Status => {
            for migration in Migrator::get_migration_with_status(&conn).await? {
                println!(
                    "{:<10} {}",
                    format!("{:?}", migration.status()),
                    migration.name()
                );
            }
        }
    }
    conn.close().await?;
    Ok(())
}
