//! Checkpoints off the write path. SQLite's automatic checkpoint runs inside the commit that
//! crosses the threshold, so one unlucky append would wait for the whole database file to be
//! written and synced. The writer turns it off; this thread copies the WAL back into the
//! database every so often instead (`PASSIVE`: it never blocks the writer or the readers).

use super::schema::{Durability, configure};
use rusqlite::Connection;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

/// How often to checkpoint.
const INTERVAL: Duration = Duration::from_millis(250);

/// Runs until `stop`'s sender is dropped, then checkpoints once more.
pub(super) fn run(path: PathBuf, durability: Durability, stop: Receiver<()>) {
    let conn = match Connection::open(&path).and_then(|c| configure(&c, durability).map(|()| c)) {
        Ok(conn) => conn,
        Err(e) => {
            tracing::error!(error = %e, "checkpointer cannot open the event store");
            return;
        }
    };
    loop {
        let last = !matches!(stop.recv_timeout(INTERVAL), Err(RecvTimeoutError::Timeout));
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "checkpoint failed; retrying later");
        }
        if last {
            return;
        }
    }
}
