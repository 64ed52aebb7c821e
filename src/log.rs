//! `ecommerce log`: read-only views of the event store for operators.

use crate::cli::LogCommand;
use anyhow::Result;
use infra::config::Settings;
use infra::event_store::{EventStore, RecordedEvent};
use std::io::{self, Write};

pub async fn run(settings: Settings, command: LogCommand) -> Result<()> {
    // Never create a store here: a typo in `--data-dir` is an error, not a new empty log.
    let store = ecommerce::stores::events(&settings, false).await?;
    let store = store.as_ref();
    match command {
        LogCommand::Stats { json } => stats(store, json).await,
        LogCommand::Read {
            stream,
            from,
            limit,
        } => read(store, stream, from, limit.unwrap_or(usize::MAX)).await,
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

/// Payload fields whose values `log read` never prints: a password hash is not the password,
/// but it is what an offline guessing attack starts from, and log dumps get pasted around.
const REDACTED_FIELDS: [&str; 1] = ["password_hash"];

/// The event as printed: its JSON with the [`REDACTED_FIELDS`] of the payload replaced.
fn printable(event: &RecordedEvent) -> Result<serde_json::Value> {
    let mut value = serde_json::to_value(event)?;
    if let Some(payload) = value
        .get_mut("payload")
        .and_then(serde_json::Value::as_object_mut)
    {
        for field in REDACTED_FIELDS {
            if let Some(v) = payload.get_mut(field) {
                *v = "[redacted]".into();
            }
        }
    }
    Ok(value)
}

/// Writes JSON lines; false when the reader went away (`| head`).
fn print(events: &[RecordedEvent]) -> Result<bool> {
    let mut out = io::stdout().lock();
    for event in events {
        let line = serde_json::to_string(&printable(event)?)?;
        match writeln!(out, "{line}") {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(false),
            other => other?,
        }
    }
    Ok(true)
}
