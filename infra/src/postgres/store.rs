//! [`PgEventStore`]: opening (pool, migrations, writer and listener tasks) and the port.

use super::config::PgConfig;
use super::errors::{is_race, pg_error};
use super::reader::{self, EVENT_COLUMNS, outcome, stored_event};
use super::writer::{self, Job};
use super::{batch, listener, schema, snapshots};
use crate::event_store::hash::{GENESIS, verify_chain_to_head};
use crate::event_store::prepared::prepare;
use crate::event_store::{
    AppendOutcome, AppendRequest, EventPayload, EventStore, Pending, Position, RecordedEvent,
    Snapshot, StoreError, StoreStats, VerifyReport, Version, Window,
};
use async_trait::async_trait;
use domain::schema::Upcasters;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, PgPool, Postgres, Transaction};
use std::str::FromStr;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use uuid::Uuid;

/// The PostgreSQL event store. Cheap to clone; the writer stops when the last clone is
/// dropped.
#[derive(Clone)]
pub struct PgEventStore {
    inner: Arc<Inner>,
}

struct Inner {
    pool: PgPool,
    jobs: mpsc::UnboundedSender<Job>,
    head: watch::Receiver<Position>,
    upcasters: Upcasters,
    listener: JoinHandle<()>,
    address: String,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

impl PgEventStore {
    /// Connects, applies the migrations and starts the writer and listener tasks. An
    /// unreachable server is `Unavailable`, a malformed URL `Invalid`.
    pub async fn open(config: PgConfig, upcasters: Upcasters) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(&config.url)
            .map_err(|e| StoreError::Invalid(format!("PostgreSQL URL: {e}")))?;
        let address = format!(
            "postgres://{}:{}/{}",
            options.get_host(),
            options.get_port(),
            options.get_database().unwrap_or_default()
        );
        let unreachable = |e: sqlx::Error| match pg_error(e) {
            StoreError::Unavailable(m) => {
                StoreError::Unavailable(format!("cannot reach {address}: {m}"))
            }
            other => other,
        };
        let pool_options = || {
            PgPoolOptions::new()
                .acquire_timeout(config.acquire_timeout)
                .test_before_acquire(false)
                .min_connections(0)
        };
        // The listener holds one connection of the read pool for good. No ping before each
        // use: after a server restart a stale connection fails one read (`Unavailable`) and
        // is dropped; the writer retries a batch whose connection was found dead.
        let pool = pool_options()
            .max_connections(config.max_connections.max(1) + 1)
            .connect_with(options.clone())
            .await
            .map_err(unreachable)?;
        let mut conn = pool.acquire().await.map_err(unreachable)?;
        schema::migrate(&mut conn)
            .await
            .map_err(StoreError::Backend)?;
        drop(conn);
        let head = listener::read_head(&pool).await.map_err(pg_error)?;
        let (head_tx, head_rx) = watch::channel(head);
        let head_tx = Arc::new(head_tx);
        let writer_pool = pool_options().max_connections(1).connect_lazy_with(options);
        let (jobs_tx, jobs_rx) = mpsc::unbounded_channel();
        tokio::spawn(writer::run(
            writer_pool,
            jobs_rx,
            head_tx.clone(),
            config.max_batch.max(1),
        ));
        let (listening, listened) = oneshot::channel();
        let listener = listener::spawn(pool.clone(), head_tx, listening);
        // Wake-ups work from the moment `open` returns (the listener retries on its own).
        let _ = tokio::time::timeout(config.acquire_timeout, listened).await;
        Ok(Self {
            inner: Arc::new(Inner {
                pool,
                jobs: jobs_tx,
                head: head_rx,
                upcasters,
                listener,
                address,
            }),
        })
    }

    /// Appends inside the caller's open transaction, through the same SQL as every append:
    /// the events become visible (and subscribers are notified) when the caller commits.
    /// The caller holds the head lock from this call until it commits or rolls back, so
    /// keep that short. A lost race with another writer is `Unavailable`; the transaction is
    /// then aborted and should be rolled back.
    pub async fn append_within(
        &self,
        tx: &mut Transaction<'_, Postgres>,
        request: AppendRequest,
    ) -> Result<AppendOutcome, StoreError> {
        let append = prepare(request)?;
        match batch::write(tx, &[&append], true).await {
            Ok(written) => written
                .results
                .into_iter()
                .next()
                .unwrap_or_else(|| Err(StoreError::Backend("an append got no answer".into()))),
            Err(e) if is_race(&e) => Err(StoreError::Unavailable(format!(
                "a concurrent append won a race, retry: {e}"
            ))),
            Err(e) => Err(pg_error(e)),
        }
    }

    /// The connection pool, for tools and tests that look at the tables directly.
    pub fn pool(&self) -> &PgPool {
        &self.inner.pool
    }

    async fn read_stored(
        &self,
        query: sqlx::query::Query<'_, Postgres, sqlx::postgres::PgArguments>,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let rows = query.fetch_all(&self.inner.pool).await.map_err(pg_error)?;
        rows.iter()
            .map(|row| {
                stored_event(row)
                    .map_err(pg_error)?
                    .into_recorded(&self.inner.upcasters)
            })
            .collect()
    }
}

fn signed(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[async_trait]
impl EventStore for PgEventStore {
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, StoreError> {
        self.enqueue(request).await?.await
    }

    /// The writer task takes appends in the order they are handed over, and decides each
    /// batch in that order, so an append may expect one handed over before it.
    async fn enqueue(&self, request: AppendRequest) -> Result<Pending, StoreError> {
        let append = prepare(request)?;
        let (reply, answer) = oneshot::channel();
        let closed = || StoreError::Unavailable("the event store writer has stopped".into());
        self.inner
            .jobs
            .send(Job { append, reply })
            .map_err(|_| closed())?;
        Ok(Box::pin(async move { answer.await.map_err(|_| closed())? }))
    }

    async fn read_stream(
        &self,
        stream: &str,
        from_version: Version,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE stream = $1 AND version >= $2 \
             ORDER BY version"
        );
        let query = sqlx::query(AssertSqlSafe(sql))
            .bind(stream.to_owned())
            .bind(signed(from_version));
        self.read_stored(query).await
    }

    async fn read_payloads(
        &self,
        stream: &str,
        from_version: Version,
    ) -> Result<Vec<EventPayload>, StoreError> {
        reader::payloads(
            &self.inner.pool,
            &self.inner.upcasters,
            stream,
            from_version,
        )
        .await
    }

    async fn read_all(
        &self,
        after: Position,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE position > $1 ORDER BY position LIMIT $2"
        );
        let query = sqlx::query(AssertSqlSafe(sql))
            .bind(signed(after))
            .bind(signed(limit as u64));
        self.read_stored(query).await
    }

    async fn read_types(
        &self,
        after: Position,
        limit: usize,
        types: &[&str],
    ) -> Result<Window, StoreError> {
        // The head counter commits with its events and positions commit in order: every
        // position up to the head read now is visible, so the window is read whole.
        let head = self.head().await?;
        let up_to = head.min(after.saturating_add(limit as u64)).max(after);
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE position > $1 AND position <= $2 \
             AND event_type = ANY($3) ORDER BY position"
        );
        let types: Vec<String> = types.iter().map(|t| (*t).to_owned()).collect();
        let query = sqlx::query(AssertSqlSafe(sql))
            .bind(signed(after))
            .bind(signed(up_to))
            .bind(types);
        Ok(Window {
            events: self.read_stored(query).await?,
            up_to,
        })
    }

    async fn save_snapshot(&self, snapshot: Snapshot) -> Result<(), StoreError> {
        snapshots::save(&self.inner.pool, &snapshot).await
    }

    async fn load_snapshot(&self, stream: &str) -> Result<Option<Snapshot>, StoreError> {
        snapshots::load(&self.inner.pool, stream).await
    }

    async fn stream_version(&self, stream: &str) -> Result<Version, StoreError> {
        let version: Option<i64> =
            sqlx::query_scalar("SELECT version FROM streams WHERE stream = $1")
                .bind(stream)
                .fetch_optional(&self.inner.pool)
                .await
                .map_err(pg_error)?;
        Ok(version.map_or(0, |v| u64::try_from(v).unwrap_or(0)))
    }

    async fn head(&self) -> Result<Position, StoreError> {
        listener::read_head(&self.inner.pool)
            .await
            .map_err(pg_error)
    }

    async fn command_outcome(&self, command_id: Uuid) -> Result<Option<AppendOutcome>, StoreError> {
        let row = sqlx::query(
            "SELECT stream, first_version, last_version, first_position, last_position
             FROM commands WHERE command_id = $1",
        )
        .bind(command_id)
        .fetch_optional(&self.inner.pool)
        .await
        .map_err(pg_error)?;
        row.map(|row| outcome(&row, 0))
            .transpose()
            .map_err(pg_error)
    }

    async fn verify(&self, stream: &str) -> Result<VerifyReport, StoreError> {
        // One snapshot for the head and the events, so an append in between does not look
        // like a lost event.
        let mut tx = self.inner.pool.begin().await.map_err(pg_error)?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await
            .map_err(pg_error)?;
        let head: Option<(i64, Vec<u8>)> =
            sqlx::query_as("SELECT version, hash FROM streams WHERE stream = $1")
                .bind(stream)
                .fetch_optional(&mut *tx)
                .await
                .map_err(pg_error)?;
        let sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE stream = $1 ORDER BY version");
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(stream)
            .fetch_all(&mut *tx)
            .await
            .map_err(pg_error)?;
        tx.rollback().await.map_err(pg_error)?;
        let events = rows
            .iter()
            .map(stored_event)
            .collect::<Result<Vec<_>, _>>()
            .map_err(pg_error)?;
        // A head link that is not 32 bytes matches no chain: it reads as the genesis link.
        let head = head.map(|(version, hash)| {
            let link = <[u8; 32]>::try_from(hash.as_slice()).unwrap_or(GENESIS);
            (u64::try_from(version).unwrap_or(0), link)
        });
        Ok(verify_chain_to_head(stream, events, head))
    }

    async fn stats(&self) -> Result<StoreStats, StoreError> {
        let (events, streams, head, size): (i64, i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM events), (SELECT COUNT(*) FROM streams),
                    (SELECT position FROM es_head),
                    (pg_total_relation_size('events') + pg_total_relation_size('streams')
                     + pg_total_relation_size('commands'))::bigint",
        )
        .fetch_one(&self.inner.pool)
        .await
        .map_err(pg_error)?;
        let unsigned = |n: i64| u64::try_from(n).unwrap_or(0);
        Ok(StoreStats {
            events: unsigned(events),
            streams: unsigned(streams),
            head_position: unsigned(head),
            size_bytes: Some(unsigned(size)),
        })
    }

    fn watch_head(&self) -> watch::Receiver<Position> {
        self.inner.head.clone()
    }

    fn describe(&self) -> String {
        format!("PostgreSQL {}", self.inner.address)
    }
}
