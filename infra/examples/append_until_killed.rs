//! Appends to a SQLite event store from eight concurrent tasks until killed, printing
//! `ack <position> <event id>` for every append the store acknowledged. The crash test in
//! `tests/sqlite_event_store.rs` runs it and kills it with SIGKILL.
//!
//! Usage: `append_until_killed PATH`

use domain::schema::Upcasters;
use infra::event_store::{AppendRequest, EventMetadata, EventStore, ExpectedVersion, NewEvent};
use infra::{SqliteConfig, SqliteEventStore};
use std::io::Write;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: append_until_killed PATH")?;
    let store = Arc::new(SqliteEventStore::open(
        SqliteConfig::new(path),
        Upcasters::domain(),
    )?);
    let (acks, mut acked) = tokio::sync::mpsc::unbounded_channel();
    for task in 0..8 {
        let store = store.clone();
        let acks = acks.clone();
        tokio::spawn(async move {
            let stream = format!("crash-{task}");
            for i in 0u64.. {
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
                    Err(e) => {
                        eprintln!("append failed: {e}");
                        return;
                    }
                }
            }
        });
    }
    drop(acks);
    let mut stdout = std::io::stdout().lock();
    while let Some((position, event_id)) = acked.recv().await {
        writeln!(stdout, "ack {position} {event_id}")?;
        stdout.flush()?;
    }
    Ok(())
}
