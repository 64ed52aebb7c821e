//! `ecommerce projections`: status, blue/green rebuilds with a progress bar, and what to do
//! about a parked projection (retry, skip). Works beside a running `serve`: everything goes
//! through the stores, and the server follows a switch within a second.

use crate::cli::ProjectionsCommand;
use anyhow::Result;
use infra::config::Settings;
use projections::models;
use projections::ops::rebuild::{Outcome, Progress, Rebuild};
use projections::ops::state::OpsState;
use projections::ops::status::{ProjectionStatus, status};
use projections::ops::{self};
use std::io::{self, IsTerminal, Write};
use std::time::{Duration, Instant};
use tokio::sync::watch;

pub async fn run(settings: Settings, command: ProjectionsCommand) -> Result<()> {
    // Never create an event store here: a typo in `--data-dir` is an error.
    let events = ecommerce::stores::events(&settings, false).await?;
    let read = ecommerce::stores::read(&settings).await?;
    let ops = OpsState::open(read).await?;
    match command {
        ProjectionsCommand::Status { json } => {
            let all = status(&ops, events.as_ref(), &models::all()).await?;
            print_status(&all, json)
        }
        ProjectionsCommand::Rebuild { name } => rebuild(ops, events, &name).await,
        ProjectionsCommand::Retry { name } => {
            let positions = ops::retry(&ops, &name).await?;
            println!("{name}: retrying the event at position {positions:?}");
            Ok(())
        }
        ProjectionsCommand::Skip {
            name,
            position,
            reason,
            by,
        } => {
            let who = by.unwrap_or_else(|| {
                format!(
                    "operator:{}",
                    std::env::var("USER").unwrap_or_else(|_| "unknown".into())
                )
            });
            ops::skip_parked(&ops, events.as_ref(), &name, position, &reason, &who).await?;
            println!("{name}: skipped position {position} (recorded in the log as {who})");
            Ok(())
        }
    }
}

fn print_status(all: &[ProjectionStatus], json: bool) -> Result<()> {
    let mut out = io::stdout().lock();
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(all)?)?;
        return Ok(());
    }
    writeln!(
        out,
        "{:<10} {:>7} {:>10} {:>10} {:>8} {:>9}  STATE",
        "NAME", "VERSION", "POSITION", "HEAD", "LAG", "LAG (s)"
    )?;
    for s in all {
        let mut state = serde_json::to_value(s.state)?
            .as_str()
            .unwrap_or("?")
            .to_owned();
        if let Some(p) = &s.parked {
            state += &format!(" at {} ({}: {})", p.position, p.event_type, p.error);
        }
        if let Some(r) = &s.rebuild {
            state += &format!(
                " v{} at {} ({} behind)",
                r.version, r.position, r.lag_events
            );
        }
        writeln!(
            out,
            "{:<10} {:>7} {:>10} {:>10} {:>8} {:>9.1}  {state}",
            s.name, s.version, s.position, s.head, s.lag_events, s.lag_seconds
        )?;
    }
    Ok(())
}

async fn rebuild(
    ops: OpsState,
    events: std::sync::Arc<dyn infra::event_store::EventStore>,
    name: &str,
) -> Result<()> {
    let projection = ops::find(name)?;
    let owner = format!("cli-rebuild-{}", uuid::Uuid::now_v7());
    let job = Rebuild::new(projection, events, ops, owner);
    let plan = job.plan().await?;
    eprintln!(
        "rebuilding {name}: version {} beside the live version {}{}",
        plan.to,
        plan.from,
        if plan.start > 0 {
            format!(", resuming at position {}", plan.start)
        } else {
            String::new()
        }
    );
    // Ctrl-C stops before the switch; running the command again resumes.
    let (stop_tx, stop) = watch::channel(false);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = stop_tx.send(true);
        }
    });
    let mut bar = Bar::new();
    let outcome = job.run(plan, |p| bar.draw(p), stop).await;
    bar.finish();
    match outcome? {
        Outcome::Switched { from, to, position } => {
            eprintln!(
                "{name}: readers switched from version {from} to {to} at position {position}; version {from} dropped"
            );
        }
        Outcome::Interrupted { version, position } => {
            eprintln!(
                "{name}: interrupted at position {position}; run the rebuild again to resume version {version}"
            );
        }
    }
    Ok(())
}

/// A progress bar on standard error: redrawn in place on a terminal, a line a second
/// otherwise (logs, CI).
struct Bar {
    terminal: bool,
    last: Option<Instant>,
    drawn: bool,
}

impl Bar {
    fn new() -> Self {
        Self {
            terminal: io::stderr().is_terminal(),
            last: None,
            drawn: false,
        }
    }

    fn draw(&mut self, p: &Progress) {
        let every = if self.terminal {
            Duration::from_millis(100)
        } else {
            Duration::from_secs(1)
        };
        if self.last.is_some_and(|t| t.elapsed() < every) && p.position < p.head {
            return;
        }
        self.last = Some(Instant::now());
        let fraction = if p.head == 0 {
            1.0
        } else {
            (p.position as f64 / p.head as f64).min(1.0)
        };
        let filled = (fraction * 30.0).round() as usize;
        let eta = p
            .eta
            .map_or_else(|| "?".to_owned(), |d| format!("{}s", d.as_secs()));
        let line = format!(
            "[{}{}] {:>5.1}% {}/{} events {:.0} events/s ETA {eta}",
            "#".repeat(filled),
            "-".repeat(30 - filled),
            fraction * 100.0,
            p.position,
            p.head,
            p.per_second
        );
        let mut err = io::stderr().lock();
        let _ = if self.terminal {
            write!(err, "\r{line}\x1b[K")
        } else {
            writeln!(err, "{line}")
        };
        self.drawn = true;
    }

    fn finish(&self) {
        if self.terminal && self.drawn {
            eprintln!();
        }
    }
}
