//! Appends to an event store from concurrent tasks, printing `ack <position> <event id>` for
//! every append the store acknowledged. The crash tests run it and kill it with SIGKILL; the
//! multi-process conformance check runs several at once with `--appends`.
//!
//! Usage: `append_until_killed STORE [--tasks T] [--appends N] [--prefix P]`
//!
//! - `STORE`: a store URL (`postgres://...`, `kurrentdb://...`, `sqlite:PATH`) or a path to
//!   an SQLite file;
//! - `--tasks`: concurrent appending tasks (default 8), each on its own stream `P-<task>`;
//! - `--appends`: appends per task, then exit (default: until killed);
//! - `--prefix`: stream name prefix (default `p<process id>`).

use infra::event_store::{AppendRequest, EventMetadata, ExpectedVersion, NewEvent};
use std::io::Write;
use std::path::Path;

struct Args {
    store: String,
    tasks: usize,
    appends: Option<u64>,
    prefix: String,
}

fn parse_args() -> Result<Args, String> {
    let usage = "usage: append_until_killed STORE [--tasks T] [--appends N] [--prefix P]";
    let mut args = std::env::args().skip(1);
    let store = args.next().ok_or(usage)?;
    let mut parsed = Args {
        store: if store.contains(':') {
            store
        } else {
            format!("sqlite:{store}")
        },
        tasks: 8,
        appends: None,
        prefix: format!("p{}", std::process::id()),
    };
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(usage)?;
        let number = || value.parse::<u64>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--tasks" => parsed.tasks = number()? as usize,
            "--appends" => parsed.appends = Some(number()?),
            "--prefix" => parsed.prefix = value,
            _ => return Err(usage.into()),
        }
    }
    Ok(parsed)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let store = infra::event_store::open(Some(&args.store), Path::new(".")).await?;
    let (acks, mut acked) = tokio::sync::mpsc::unbounded_channel();
    let mut tasks = Vec::new();
    for task in 0..args.tasks {
        let store = store.clone();
        let acks = acks.clone();
        let stream = format!("{}-{task}", args.prefix);
        let appends = args.appends.unwrap_or(u64::MAX);
        tasks.push(tokio::spawn(async move {
            for i in 0..appends {
                let event = NewEvent::new("Tick", 1, serde_json::json!({ "task": task, "i": i }));
                let event_id = event.event_id;
                let request = AppendRequest {
                    stream: stream.clone(),
                    expected: ExpectedVersion::Exact(i),
                    events: vec![event],
                    metadata: EventMetadata::new(chrono::Utc::now()),
                };
                match store.append(request).await {
                    Ok(outcome) => {
                        let _ = acks.send((outcome.last_position, event_id));
                    }
                    Err(e) => return Err(format!("append failed: {e}")),
                }
            }
            Ok(())
        }));
    }
    drop(acks);
    let mut stdout = std::io::stdout().lock();
    while let Some((position, event_id)) = acked.recv().await {
        writeln!(stdout, "ack {position} {event_id}")?;
        stdout.flush()?;
    }
    for task in tasks {
        task.await??;
    }
    Ok(())
}
