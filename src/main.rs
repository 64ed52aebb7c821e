//! The `ecommerce` command line: runs and operates the shop backend.
//!
//! - `cli`: the command-line grammar (clap), with `ECOMMERCE_*` environment fallbacks;
//! - `settings`: flags and environment over the optional file over the defaults;
//! - `serve`: `ecommerce serve [commands|query|projector|checkout]`; `users`:
//!   `ecommerce users create-admin|grant-role`;
//! - `log`: `ecommerce log stats|read`, inspecting the event store;
//! - `projections`: `ecommerce projections status|rebuild|retry|skip`;
//! - `audit`: `ecommerce audit order`, an order's history and state from the event store.

mod audit;
mod cli;
mod log;
mod projections;
mod serve;
mod settings;
mod users;

use clap::Parser;
use cli::{Cli, Command, UsersCommand};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(mut args) => match settings::load_serve(&cli.global, &args) {
            Ok(settings) => serve::run(settings, args.mode.take()).await,
            Err(e) => Err(e),
        },
        Command::Users(UsersCommand::CreateAdmin { email }) => match settings::load(&cli.global) {
            Ok(settings) => users::create_admin(settings, &email).await,
            Err(e) => Err(e),
        },
        Command::Users(UsersCommand::GrantRole { email, role, by }) => {
            match settings::load(&cli.global) {
                Ok(settings) => users::grant_role(settings, &email, &role, by).await,
                Err(e) => Err(e),
            }
        }
        Command::Log(command) => match settings::load(&cli.global) {
            Ok(settings) => log::run(settings, command).await,
            Err(e) => Err(e),
        },
        Command::Projections(command) => match settings::load(&cli.global) {
            Ok(settings) => projections::run(settings, command).await,
            Err(e) => Err(e),
        },
        Command::Audit(command) => match settings::load(&cli.global) {
            Ok(settings) => audit::run(settings, command).await,
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
