//! Reads: a bounded pool of read-only connections, used from blocking tasks (point reads run
//! on the calling task). In WAL mode readers never wait for the writer and always see a
//! committed prefix of the log.
//!
//! At most `size` connections exist; a read past that waits for one to come back. Opening
//! one parses the schema and warms a page cache, so every connection opened is kept: an
//! earlier pool that opened one for each read past its idle count, and closed it after,
//! spent much of a busy server's time opening connections (and had no bound on how many).

use super::errors::sql_error;
use crate::event_store::hash;
use crate::event_store::stored::{StoredEvent, upcast_payload};
use crate::event_store::{EventPayload, StoreError, Version};
use domain::schema::Upcasters;
use rusqlite::{Connection, OpenFlags, Row};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;
use uuid::Uuid;

/// Read connections to one file: at most as many as the permits.
pub(crate) struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    permits: Arc<Semaphore>,
}

impl Readers {
    /// A pool of at most `size` connections, opened when first needed.
    pub fn new(path: PathBuf, size: usize) -> Self {
        Self {
            path,
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(size.max(1))),
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

    /// Returns a connection; the permit held for it guarantees there is room.
    fn checkin(&self, conn: Connection) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(conn);
        }
    }

    async fn permit(&self) -> Result<tokio::sync::OwnedSemaphorePermit, StoreError> {
        self.permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Unavailable("the read pool is closed".into()))
    }

    /// Runs a point read (one indexed lookup, microseconds) on a pooled connection right on
    /// the calling task: a hop to the blocking pool would cost more than the read.
    pub async fn run_now<T, F>(&self, read: F) -> Result<T, StoreError>
    where
        F: FnOnce(&Connection) -> rusqlite::Result<T>,
    {
        let _permit = self.permit().await?;
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
        let permit = self.permit().await?;
        let readers = self.clone();
        tokio::task::spawn_blocking(move || {
            let conn = readers.checkout().map_err(sql_error)?;
            let result = read(&conn).map_err(sql_error);
            readers.checkin(conn);
            drop(permit);
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

#[cfg(test)]
mod tests {
    use super::Readers;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_reads_at_once_share_a_bounded_set_of_connections_that_stay_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        rusqlite::Connection::open(&path)
            .unwrap()
            .execute_batch("PRAGMA journal_mode=WAL; CREATE TABLE t (x INTEGER);")
            .unwrap();
        let readers = Arc::new(Readers::new(path, 3));
        let (inside, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let reads: Vec<_> = (0..40)
            .map(|n| {
                let (readers, inside, most) = (readers.clone(), inside.clone(), most.clone());
                tokio::spawn(async move {
                    let read = move |conn: &rusqlite::Connection| {
                        let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(2));
                        inside.fetch_sub(1, Ordering::SeqCst);
                        conn.query_row("SELECT COUNT(*) FROM t", [], |r| r.get::<_, i64>(0))
                    };
                    if n % 2 == 0 {
                        readers.run(read).await
                    } else {
                        readers.run_now(read).await
                    }
                })
            })
            .collect();
        for read in reads {
            assert_eq!(read.await.unwrap().unwrap(), 0);
        }
        assert!(most.load(Ordering::SeqCst) <= 3, "at most 3 reads at once");
        // Every connection opened is kept for the next reads, and there are no more than 3.
        let idle = readers.idle.lock().unwrap().len();
        assert!((1..=3).contains(&idle), "{idle} idle connections");
    }
}
