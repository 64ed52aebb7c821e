//! Checkpoints off the write path. SQLite's automatic checkpoint runs inside the commit that
//! crosses the threshold, so one unlucky append would wait for the whole database file to be
//! written and synced. The writer turns it off; this thread copies the WAL back into the
//! database every so often instead (`PASSIVE`: it never blocks the writer or the readers).
//!
//! A passive checkpoint never makes the WAL smaller, and under a steady stream of appends it
//! never finishes either (there is always a newer frame), so SQLite never starts the WAL over
//! and the file grows with the log. Once the file passes its limit ([`WalBound`]), a
//! `TRUNCATE` checkpoint copies the few frames the passive ones left, waits at most
//! [`TRUNCATE_WAIT`] for readers to leave the WAL, and cuts the file to zero. The writer looks
//! after each batch, when it holds no lock (this thread would rarely find the write lock free
//! while appends go on); this thread looks at each interval, for when the writer is idle.
//! When readers keep it waiting, it gives up and tries again at the next look.

use super::schema::{Durability, configure};
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

/// How often to checkpoint.
const INTERVAL: Duration = Duration::from_millis(250);
/// The default WAL size past which it is truncated.
pub const WAL_LIMIT: u64 = 16 * 1024 * 1024;
/// The longest a truncating checkpoint waits for readers to leave the WAL.
const TRUNCATE_WAIT: Duration = Duration::from_millis(200);
/// The busy timeout of the writer's connection otherwise (as `configure` sets it).
const WRITER_WAIT: Duration = Duration::from_secs(5);

/// The WAL of a database file and the size past which it is truncated.
#[derive(Debug, Clone)]
pub(super) struct WalBound {
    wal: PathBuf,
    limit: u64,
}

impl WalBound {
    /// The bound of `database`'s WAL.
    pub fn new(database: &Path, limit: u64) -> Self {
        let mut wal = database.as_os_str().to_owned();
        wal.push("-wal");
        Self {
            wal: PathBuf::from(wal),
            limit,
        }
    }

    /// Truncates the WAL on `conn` when it has passed the limit; `by` names who asks.
    pub fn truncate_if_large(&self, conn: &Connection, by: &str) {
        if std::fs::metadata(&self.wal).is_ok_and(|m| m.len() > self.limit) {
            truncate(conn, by);
        }
    }
}

/// Runs until `stop`'s sender is dropped, then checkpoints once more.
pub(super) fn run(path: PathBuf, durability: Durability, bound: WalBound, stop: Receiver<()>) {
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
        bound.truncate_if_large(&conn, "checkpointer");
        if last {
            return;
        }
    }
}

/// A full checkpoint that leaves an empty WAL, waiting at most [`TRUNCATE_WAIT`] for locks.
fn truncate(conn: &Connection, by: &str) {
    let checkpointed = conn.busy_timeout(TRUNCATE_WAIT).and_then(|()| {
        // (busy, frames in the WAL, frames checkpointed); busy 1: it could not finish.
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| {
            row.get::<_, i64>(0)
        })
    });
    if let Err(e) = conn.busy_timeout(WRITER_WAIT) {
        tracing::warn!(error = %e, "cannot restore the busy timeout");
    }
    match checkpointed {
        Ok(0) => tracing::debug!(by, "WAL checkpointed and truncated"),
        Ok(_) => tracing::debug!(by, "WAL truncation waited too long; later"),
        Err(e) => tracing::debug!(by, error = %e, "WAL truncation failed; later"),
    }
}
