//! The `api` binary: parse the command line, start logging, run the chosen command.

use clap::Parser;

/// mimalloc instead of glibc's allocator: a GraphQL response is built from thousands of small
/// allocations, and glibc's malloc/free were a sixth of the server's CPU (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // A missing .env is normal; a malformed one is worth knowing about before anything starts.
    if let Err(err) = dotenvy::dotenv()
        && !err.not_found()
    {
        eprintln!("could not read .env: {err}");
        return std::process::ExitCode::FAILURE;
    }
    let cli = api::cli::Cli::parse();
    api::telemetry::init(&cli.settings);
    match api::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "command failed");
            eprintln!("error: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
