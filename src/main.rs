//! The `ecommerce` command line: runs and operates the shop backend.
//!
//! - `cli`: the command-line grammar (clap), with `ECOMMERCE_*` environment fallbacks;
//! - `log`: `ecommerce log stats|read`, inspecting the event store.

mod cli;
mod log;

use clap::Parser;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Command::Log(command) => log::run(&cli.global, command).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
