//! The embedded event store: one SQLite file in WAL mode.
//!
//! - [`writer`]: the single writer thread with group commit;
//! - [`reader`]: pooled read connections;
//! - [`schema`]: tables, pragmas, [`Durability`];
//! - `checkpoint`: WAL checkpoints on their own thread, off the write path;
//! - [`errors`]: SQLite failures as store errors.
//!
//! Positions are assigned inside the write transaction, which SQLite serializes, so the
//! global log becomes visible strictly in position order: a reader can never skip an event.

mod checkpoint;
pub(crate) mod errors;
pub(crate) mod reader;
mod schema;
mod writer;

pub use schema::Durability;

use crate::event_store::hash::{GENESIS, verify_chain_to_head};
use crate::event_store::prepared::prepare;
use crate::event_store::stored::StoredEvent;
use crate::event_store::{
    AppendOutcome, AppendRequest, EventPayload, EventStore, Pending, Position, RecordedEvent,
    Snapshot, StoreError, StoreStats, VerifyReport, Version, Window,
};
use async_trait::async_trait;
use domain::schema::Upcasters;
use errors::sql_error;
use reader::{EVENT_COLUMNS, Readers, event_payload, stored_event};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};
use tokio::sync::{oneshot, watch};
use uuid::Uuid;
use writer::Job;

pub use crate::event_store::prepared::MAX_EVENTS_PER_APPEND;

/// How to open the store.
#[derive(Debug, Clone)]
pub struct SqliteConfig {
    /// The database file.
    pub path: PathBuf,
    /// Commit durability.
    pub durability: Durability,
    /// The most appends one transaction groups.
    pub max_batch: usize,
    /// Create the file (and its folder) when missing; otherwise opening a missing file fails.
    pub create: bool,
    /// The size past which the WAL is checkpointed in full and truncated (see `checkpoint`).
    pub wal_limit: u64,
}

impl SqliteConfig {
    /// The defaults for a file: full durability, batches of up to 512 appends, create.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            durability: Durability::Full,
            max_batch: 512,
            create: true,
            wal_limit: checkpoint::WAL_LIMIT,
        }
    }
}

/// The SQLite event store. Cheap to clone; the writer stops when the last clone is dropped.
#[derive(Clone)]
pub struct SqliteEventStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    jobs: mpsc::Sender<Job>,
    /// Dropping it stops the checkpointer.
    _checkpoints: mpsc::Sender<()>,
    readers: Arc<Readers>,
    head: watch::Receiver<Position>,
    upcasters: Upcasters,
}

impl SqliteEventStore {
    /// Opens (or creates) the store and starts its writer thread.
    pub fn open(config: SqliteConfig, upcasters: Upcasters) -> Result<Self, StoreError> {
        let path = config.path.clone();
        if !config.create && !path.exists() {
            return Err(StoreError::Unavailable(format!(
                "no event store at {}",
                path.display()
            )));
        }
        crate::files::private_file(&path).map_err(|e| {
            StoreError::Unavailable(format!("cannot create {}: {e}", path.display()))
        })?;
        let mut conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sql_error)?;
        schema::configure(&conn, config.durability).map_err(sql_error)?;
        conn.pragma_update(None, "wal_autocheckpoint", 0)
            .map_err(sql_error)?;
        schema::migrate(&mut conn).map_err(StoreError::Backend)?;
        let head: Position = conn
            .query_row("SELECT COALESCE(MAX(position), 0) FROM events", [], |r| {
                r.get(0)
            })
            .map_err(sql_error)?;
        let (head_tx, head_rx) = watch::channel(head);
        let (jobs_tx, jobs_rx) = mpsc::channel();
        let max_batch = config.max_batch.max(1);
        let bound = checkpoint::WalBound::new(&path, config.wal_limit);
        let writer_bound = bound.clone();
        std::thread::Builder::new()
            .name("event-store-writer".into())
            .spawn(move || writer::run(conn, jobs_rx, head_tx, max_batch, &writer_bound))
            .map_err(|e| StoreError::Backend(format!("cannot start the writer: {e}")))?;
        let (checkpoints_tx, checkpoints_rx) = mpsc::channel();
        let (checkpoint_path, durability) = (path.clone(), config.durability);
        std::thread::Builder::new()
            .name("event-store-checkpoint".into())
            .spawn(move || checkpoint::run(checkpoint_path, durability, bound, checkpoints_rx))
            .map_err(|e| StoreError::Backend(format!("cannot start the checkpointer: {e}")))?;
        Ok(Self {
            inner: Arc::new(Inner {
                readers: Arc::new(Readers::new(path.clone(), 8)),
                path,
                jobs: jobs_tx,
                _checkpoints: checkpoints_tx,
                head: head_rx,
                upcasters,
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Hands a job to the writer thread, which takes jobs in the order they are handed over;
    /// the job's answer, to wait for.
    fn hand<T: Send + 'static>(
        &self,
        job: impl FnOnce(oneshot::Sender<Result<T, StoreError>>) -> Job,
    ) -> Result<impl Future<Output = Result<T, StoreError>> + Send + 'static, StoreError> {
        let (reply, answer) = oneshot::channel();
        let closed = || StoreError::Unavailable("the event store writer has stopped".into());
        self.inner.jobs.send(job(reply)).map_err(|_| closed())?;
        Ok(async move { answer.await.map_err(|_| closed())? })
    }

    /// Hands a job to the writer thread and waits for its answer.
    async fn submit<T: Send + 'static>(
        &self,
        job: impl FnOnce(oneshot::Sender<Result<T, StoreError>>) -> Job,
    ) -> Result<T, StoreError> {
        self.hand(job)?.await
    }

    async fn read_stored<F>(&self, sql: String, bind: F) -> Result<Vec<RecordedEvent>, StoreError>
    where
        F: FnOnce(&mut rusqlite::CachedStatement<'_>) -> rusqlite::Result<Vec<StoredEvent>>
            + Send
            + 'static,
    {
        let rows = self
            .inner
            .readers
            .run(move |conn| bind(&mut conn.prepare_cached(&sql)?))
            .await?;
        rows.into_iter()
            .map(|row| row.into_recorded(&self.inner.upcasters))
            .collect()
    }
}

#[async_trait]
impl EventStore for SqliteEventStore {
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, StoreError> {
        let append = prepare(request)?;
        self.submit(|reply| Job::Append(append, reply)).await
    }

    async fn enqueue(&self, request: AppendRequest) -> Result<Pending, StoreError> {
        let append = prepare(request)?;
        Ok(Box::pin(self.hand(|reply| Job::Append(append, reply))?))
    }

    async fn save_snapshot(&self, snapshot: Snapshot) -> Result<(), StoreError> {
        self.submit(|reply| Job::Snapshot(snapshot, reply)).await
    }

    async fn load_snapshot(&self, stream: &str) -> Result<Option<Snapshot>, StoreError> {
        let stream = stream.to_owned();
        self.inner
            .readers
            .run_now(move |conn| {
                conn.prepare_cached(
                    "SELECT s.version, s.position, s.state_version, s.state FROM snapshots s
                     JOIN events e ON e.stream = s.stream AND e.version = s.version
                     WHERE s.stream = ?1 AND e.hash = s.hash",
                )?
                .query_row([&stream], |row| {
                    Ok(Snapshot {
                        stream: stream.clone(),
                        version: row.get(0)?,
                        position: row.get(1)?,
                        state_version: row.get(2)?,
                        state: row.get(3)?,
                    })
                })
                .optional()
            })
            .await
    }

    async fn read_stream(
        &self,
        stream: &str,
        from_version: Version,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let stream = stream.to_owned();
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE stream = ?1 AND version >= ?2 \
             ORDER BY version"
        );
        self.read_stored(sql, move |stmt| {
            stmt.query_map(rusqlite::params![stream, from_version], stored_event)?
                .collect()
        })
        .await
    }

    async fn read_payloads(
        &self,
        stream: &str,
        from_version: Version,
    ) -> Result<Vec<EventPayload>, StoreError> {
        let stream = stream.to_owned();
        let upcasters = self.inner.upcasters.clone();
        let rows = self
            .inner
            .readers
            .run(move |conn| {
                conn.prepare_cached(
                    "SELECT version, event_type, schema_version, payload, position FROM events
                     WHERE stream = ?1 AND version >= ?2 ORDER BY version",
                )?
                .query_map(
                    rusqlite::params![stream, from_version],
                    event_payload(&upcasters),
                )?
                .collect::<rusqlite::Result<Vec<_>>>()
            })
            .await?;
        rows.into_iter().collect()
    }

    async fn read_all(
        &self,
        after: Position,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE position > ?1 ORDER BY position LIMIT ?2"
        );
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read_stored(sql, move |stmt| {
            stmt.query_map(rusqlite::params![after, limit], stored_event)?
                .collect()
        })
        .await
    }

    async fn read_types(
        &self,
        after: Position,
        limit: usize,
        types: &[&str],
    ) -> Result<Window, StoreError> {
        let types = serde_json::to_string(types).map_err(|e| StoreError::Backend(e.to_string()))?;
        let limit = u64::try_from(limit).unwrap_or(u64::MAX);
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE position > ?1 AND position <= ?2 \
             AND event_type IN (SELECT value FROM json_each(?3)) ORDER BY position"
        );
        // Positions are dense and visible in order: every event up to the head is there, so
        // the window (after, min(after + limit, head)] is read whole, its other types passed
        // over without decoding their payloads.
        let (rows, up_to) = self
            .inner
            .readers
            .run(move |conn| {
                let tx = conn.unchecked_transaction()?;
                let head: Position =
                    tx.query_row("SELECT COALESCE(MAX(position), 0) FROM events", [], |r| {
                        r.get(0)
                    })?;
                let up_to = head.min(after.saturating_add(limit)).max(after);
                let rows = tx
                    .prepare_cached(&sql)?
                    .query_map(rusqlite::params![after, up_to, types], stored_event)?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                tx.finish()?;
                Ok((rows, up_to))
            })
            .await?;
        let events = rows
            .into_iter()
            .map(|row| row.into_recorded(&self.inner.upcasters))
            .collect::<Result<_, _>>()?;
        Ok(Window { events, up_to })
    }

    async fn stream_version(&self, stream: &str) -> Result<Version, StoreError> {
        let stream = stream.to_owned();
        self.inner
            .readers
            .run_now(move |conn| {
                conn.prepare_cached("SELECT version FROM streams WHERE stream = ?1")?
                    .query_row([stream], |r| r.get(0))
                    .optional()
                    .map(Option::unwrap_or_default)
            })
            .await
    }

    async fn head(&self) -> Result<Position, StoreError> {
        self.inner
            .readers
            .run_now(|conn| {
                conn.query_row("SELECT COALESCE(MAX(position), 0) FROM events", [], |r| {
                    r.get(0)
                })
            })
            .await
    }

    async fn command_outcome(&self, command_id: Uuid) -> Result<Option<AppendOutcome>, StoreError> {
        self.inner
            .readers
            .run_now(move |conn| writer::command_outcome(conn, command_id))
            .await
    }

    async fn verify(&self, stream: &str) -> Result<VerifyReport, StoreError> {
        let name = stream.to_owned();
        let sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE stream = ?1 ORDER BY version");
        let (events, head) = self
            .inner
            .readers
            .run(move |conn| {
                // One snapshot for the head and the events, so an append in between does not
                // look like a lost event.
                let tx = rusqlite::Transaction::new_unchecked(
                    conn,
                    rusqlite::TransactionBehavior::Deferred,
                )?;
                let head: Option<(Version, Vec<u8>)> = tx
                    .prepare_cached("SELECT version, hash FROM streams WHERE stream = ?1")?
                    .query_row([&name], |row| Ok((row.get(0)?, row.get(1)?)))
                    .optional()?;
                let events = tx
                    .prepare_cached(&sql)?
                    .query_map([&name], stored_event)?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok((events, head))
            })
            .await?;
        // A head link that is not 32 bytes matches no chain: it reads as the genesis link.
        let head = head.map(|(version, hash)| {
            (
                version,
                <[u8; 32]>::try_from(hash.as_slice()).unwrap_or(GENESIS),
            )
        });
        Ok(verify_chain_to_head(stream, events, head))
    }

    async fn stats(&self) -> Result<StoreStats, StoreError> {
        let path = self.inner.path.clone();
        self.inner
            .readers
            .run(move |conn| {
                let (events, head): (u64, u64) = conn.query_row(
                    "SELECT COUNT(*), COALESCE(MAX(position), 0) FROM events",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?;
                let streams = conn.query_row("SELECT COUNT(*) FROM streams", [], |r| r.get(0))?;
                let size = |p: PathBuf| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
                let mut wal = path.clone().into_os_string();
                wal.push("-wal");
                Ok(StoreStats {
                    events,
                    streams,
                    head_position: head,
                    size_bytes: Some(size(path) + size(wal.into())),
                })
            })
            .await
    }

    fn watch_head(&self) -> watch::Receiver<Position> {
        self.inner.head.clone()
    }

    fn describe(&self) -> String {
        format!("SQLite {}", self.inner.path.display())
    }
}
