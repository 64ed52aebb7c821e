//! The command-line grammar.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// An event-sourced e-commerce backend.
#[derive(Debug, Parser)]
#[command(name = "ecommerce", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand takes.
#[derive(Debug, Args)]
pub struct Global {
    /// Folder of the embedded stores (the event log is `events.db` in it).
    #[arg(
        long,
        global = true,
        env = "ECOMMERCE_DATA_DIR",
        default_value = "./data"
    )]
    pub data_dir: PathBuf,
    /// The event store: `postgres://...`, `kurrentdb://...` (or `esdb://...`),
    /// `sqlite:PATH`; unset, the embedded SQLite file `events.db` in the data folder.
    #[arg(long, global = true, env = "ECOMMERCE_EVENT_STORE")]
    pub event_store: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Inspect the event log.
    #[command(subcommand)]
    Log(LogCommand),
}

#[derive(Debug, Subcommand)]
pub enum LogCommand {
    /// Events, streams, head position and size.
    Stats {
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Print events as JSON lines, from the global log or from one stream.
    Read {
        /// Only this stream (such as `order-<uuid>`); `--from` is then a stream version.
        #[arg(long)]
        stream: Option<String>,
        /// First global position (or stream version) to print.
        #[arg(long, default_value_t = 1)]
        from: u64,
        /// Print at most this many events.
        #[arg(long)]
        limit: Option<usize>,
    },
}
