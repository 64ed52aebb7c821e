//! `ecommerce log`: read-only views of the event store for operators.

use crate::cli::{Global, LogCommand};
use anyhow::{Context, Result};
use infra::event_store::{EventStore, RecordedEvent, StoreTarget};
use std::io::{self, Write};
use std::sync::Arc;

/// Opens the chosen store without creating it: a typo in `--data-dir` is an error, not a
/// new empty log; an unknown scheme or an unreachable server is an error too.
async fn open(global: &Global) -> Result<Arc<dyn EventStore>> {
    let target = StoreTarget::parse(global.event_store.as_deref(), &global.data_dir)
        .context("cannot open the event store (check --event-store or ECOMMERCE_EVENT_STORE)")?;
    let hint = match &target {
        StoreTarget::Sqlite(path) => format!(
            "{} (set --data-dir or ECOMMERCE_DATA_DIR, or --event-store)",
            path.display()
        ),
        _ => "(check --event-store or ECOMMERCE_EVENT_STORE)".to_owned(),
    };
    let store = target
        .open(false)
        .await
        .with_context(|| format!("cannot open the event store {hint}"))?;
    Ok(store)
}

pub async fn run(global: &Global, command: LogCommand) -> Result<()> {
    let store = open(global).await?;
    match command {
        LogCommand::Stats { json } => stats(store.as_ref(), json).await,
        LogCommand::Read {
            stream,
            from,
            limit,
        } => read(store.as_ref(), stream, from, limit.unwrap_or(usize::MAX)).await,
    }
}

async fn stats(store: &dyn EventStore, json: bool) -> Result<()> {
    let stats = store.stats().await?;
    let mut out = io::stdout().lock();
    if json {
        writeln!(out, "{}", serde_json::to_string(&stats)?)?;
    } else {
        writeln!(out, "store          {}", store.describe())?;
        writeln!(out, "events         {}", stats.events)?;
        writeln!(out, "streams        {}", stats.streams)?;
        writeln!(out, "head position  {}", stats.head_position)?;
        if let Some(bytes) = stats.size_bytes {
            writeln!(out, "size           {bytes} bytes")?;
        }
    }
    Ok(())
}

async fn read(
    store: &dyn EventStore,
    stream: Option<String>,
    from: u64,
    limit: usize,
) -> Result<()> {
    let mut printed = 0;
    if let Some(stream) = stream {
        let events = store.read_stream(&stream, from).await?;
        print(&events[..events.len().min(limit)])?;
        return Ok(());
    }
    let mut after = from.saturating_sub(1);
    while printed < limit {
        let batch = store.read_all(after, (limit - printed).min(1000)).await?;
        let Some(last) = batch.last() else { break };
        after = last.position;
        printed += batch.len();
        if !print(&batch)? {
            break;
        }
    }
    Ok(())
}

/// Writes JSON lines; false when the reader went away (`| head`).
fn print(events: &[RecordedEvent]) -> Result<bool> {
    let mut out = io::stdout().lock();
    for event in events {
        let line = serde_json::to_string(event)?;
        match writeln!(out, "{line}") {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(false),
            other => other?,
        }
    }
    Ok(true)
}
