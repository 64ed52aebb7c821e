//! Reads: a small pool of read-only connections, used from blocking tasks. In WAL mode
//! readers never wait for the writer and always see a committed prefix of the log.

use super::errors::sql_error;
use crate::event_store::hash;
use crate::event_store::stored::{StoredEvent, upcast_payload};
use crate::event_store::{EventPayload, StoreError, Version};
use domain::schema::Upcasters;
use rusqlite::{Connection, OpenFlags, Row};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

/// Idle read connections to one file.
pub(crate) struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    max_idle: usize,
}

impl Readers {
    pub fn new(path: PathBuf, max_idle: usize) -> Self {
        Self {
            path,
            idle: Mutex::new(Vec::new()),
            max_idle,
        }
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        Ok(conn)
    }

    fn checkout(&self) -> rusqlite::Result<Connection> {
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        match idle {
            Some(conn) => Ok(conn),
            None => self.open(),
        }
    }

    fn checkin(&self, conn: Connection) {
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < self.max_idle
        {
            idle.push(conn);
        }
    }

    /// Runs a point read (one indexed lookup, microseconds) on a pooled connection right on
    /// the calling task: a hop to the blocking pool would cost more than the read.
    pub fn run_now<T, F>(&self, read: F) -> Result<T, StoreError>
    where
        F: FnOnce(&Connection) -> rusqlite::Result<T>,
    {
        let conn = self.checkout().map_err(sql_error)?;
        let result = read(&conn).map_err(sql_error);
        self.checkin(conn);
        result
    }

    /// Runs `read` on a pooled connection in a blocking task.
    pub async fn run<T, F>(self: &Arc<Self>, read: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let readers = self.clone();
        tokio::task::spawn_blocking(move || {
            let conn = readers.checkout().map_err(sql_error)?;
            let result = read(&conn).map_err(sql_error);
            readers.checkin(conn);
            result
        })
        .await
        .map_err(|e| StoreError::Backend(format!("read task failed: {e}")))?
    }
}

/// The columns [`stored_event`] expects, in order.
pub(super) const EVENT_COLUMNS: &str = "position, stream, version, event_id, event_type, \
     schema_version, payload, metadata, recorded_at, hash";

/// Maps a row of [`EVENT_COLUMNS`].
pub(super) fn stored_event(row: &Row<'_>) -> rusqlite::Result<StoredEvent> {
    let event_id: [u8; 16] = row.get(3)?;
    let hash: [u8; 32] = row.get(9)?;
    Ok(StoredEvent {
        position: row.get(0)?,
        stream: row.get(1)?,
        version: row.get(2)?,
        event_id: Uuid::from_bytes(event_id),
        event_type: row.get(4)?,
        schema_version: row.get(5)?,
        payload: row.get(6)?,
        metadata: row.get(7)?,
        recorded_at: row.get(8)?,
        hash: hash::to_hex(&hash),
    })
}

/// Maps `version, event_type, schema_version, payload, position` to an upcast [`EventPayload`].
pub(super) fn event_payload(
    upcasters: &Upcasters,
) -> impl Fn(&Row<'_>) -> rusqlite::Result<Result<EventPayload, StoreError>> + '_ {
    move |row| {
        let version: Version = row.get(0)?;
        let event_type: String = row.get(1)?;
        let schema_version: u32 = row.get(2)?;
        let payload: String = row.get(3)?;
        let position: crate::event_store::Position = row.get(4)?;
        Ok(
            upcast_payload(upcasters, position, &event_type, schema_version, &payload).map(
                |payload| EventPayload {
                    version,
                    position,
                    event_type,
                    payload,
                },
            ),
        )
    }
}
