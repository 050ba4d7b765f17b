//! The `api` binary: parse the command line, start logging, run the chosen command.

/// mimalloc instead of glibc's allocator: a GraphQL response is built from thousands of small
/// allocations, and glibc's malloc/free were a sixth of the server's CPU (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(api::cli::main(std::env::args_os()).await)
}
