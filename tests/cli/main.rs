//! The command line against real data folders: `log`, `audit order` and `projections`, one
//! module each, sharing how the binary is run.

// A failed step aborts the test with its message; that is what unwrap is for here.
#![allow(clippy::unwrap_used)]

mod audit;
mod log;
mod projections;

use std::path::Path;
use std::process::{Command, Output};

/// Runs `ecommerce ARGS` on `data_dir`, with the embedded stores whatever the environment
/// names.
fn ecommerce(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ecommerce"))
        .args(args)
        .env("ECOMMERCE_DATA_DIR", data_dir)
        .env_remove("ECOMMERCE_EVENT_STORE")
        .env_remove("ECOMMERCE_READ_STORE")
        .output()
        .unwrap()
}

/// The standard output of a run that succeeded.
fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// The standard error of a run that failed.
fn refused(output: &Output) -> String {
    assert!(!output.status.success());
    String::from_utf8(output.stderr.clone()).unwrap()
}
