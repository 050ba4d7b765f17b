//! The command line: `serve` (the default), `migrate`, `export-schema`.

use clap::{Parser, Subcommand};
use migration::{Migrator, MigratorTrait};

use crate::{config::Settings, db, schema, startup::Application};

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

pub async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = Application::build(cli.settings).await?;
            app.stop_on_signals();
            app.run_until_stopped().await?;
            tracing::info!("stopped");
        }
        Command::ExportSchema => print!("{}", schema::export_sdl()),
        Command::Migrate { action } => migrate(&cli.settings, action).await?,
    }
    Ok(())
}

async fn migrate(settings: &Settings, action: MigrateAction) -> Result<(), CliError> {
    if let MigrateAction::Up = action {
        db::ensure_database_exists(&settings.database_url).await?;
        db::migrate_up(&settings.database_url).await?;
        println!("migrations applied");
        return Ok(());
    }
    let conn = db::connect_single(&settings.database_url).await?;
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
