//! The KurrentDB (EventStoreDB) event store, through the official `kurrentdb` client.
//!
//! - [`convert`]: versions and revisions, positions, event ids, metadata and errors;
//! - `append`: appends with expected revisions, the hash chain and idempotency records;
//! - `read`: stream reads and the filtered global log;
//! - `head`: a subscription to `$all` that wakes subscribers;
//! - [`names`]: namespaces, so that several stores share one server.
//!
//! A stream per aggregate, named as in the port; our version N is the stream's revision
//! N - 1. The global position is the event's `$all` commit position: increasing with commit
//! order, never skipping (KurrentDB's log is written in order), but not dense, so the
//! suite's dense-position checks do not apply. Our metadata text, schema version, commit time
//! and hash link travel in each event's custom metadata. A command id makes event ids
//! deterministic (UUID v5 of the command id and the event's index) and leaves a record in
//! the stream `ecommerce-command-<id>`, hidden from the global log. A `namespace=NAME`
//! parameter in the connection string prefixes every stream with `NAME/` and limits the
//! global log to them (see [`names`]).
//!
//! Differences from the SQL stores: the commit time is the appending client's clock; an
//! event id reused in another stream is not refused (KurrentDB deduplicates ids per stream);
//! `stats` scans the whole log. This adapter's conformance run needs a server
//! (`ECOMMERCE_TEST_KURRENTDB_URL`).

mod append;
pub mod convert;
mod head;
pub mod names;
mod read;

use crate::event_store::check_after;
use crate::event_store::hash::verify_chain;
use crate::event_store::prepared::prepare;
use crate::event_store::{
    AppendOutcome, AppendRequest, EventStore, Position, RecordedEvent, StoreError, StoreStats,
    VerifyReport, Version,
};
use async_trait::async_trait;
use domain::schema::Upcasters;
use kurrentdb::{Client, ClientSettings};
use names::Names;
use std::collections::HashSet;
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use uuid::Uuid;

/// The KurrentDB event store. Cheap to clone.
#[derive(Clone)]
pub struct KurrentDbEventStore {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client,
    names: Names,
    head: watch::Receiver<Position>,
    head_tx: Arc<watch::Sender<Position>>,
    upcasters: Upcasters,
    subscription: JoinHandle<()>,
    address: String,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.subscription.abort();
    }
}

impl KurrentDbEventStore {
    /// Connects to `kurrentdb://...` or `esdb://...` (the client's connection string) and
    /// checks the server answers. A malformed string is `Invalid`, a server that does not
    /// answer `Unavailable`.
    pub async fn connect(url: &str, upcasters: Upcasters) -> Result<Self, StoreError> {
        let (url, names) = Names::from_url(url);
        let settings: ClientSettings = url
            .parse()
            .map_err(|e| StoreError::Invalid(format!("KurrentDB connection string: {e}")))?;
        let address = settings
            .hosts()
            .iter()
            .map(|h| format!("{}:{}", h.host, h.port))
            .collect::<Vec<_>>()
            .join(",");
        let client = Client::new(settings)
            .map_err(|e| StoreError::Unavailable(format!("KurrentDB client: {e}")))?;
        let head = read::head(&client, &names).await.map_err(|e| match e {
            StoreError::Unavailable(m) => {
                StoreError::Unavailable(format!("cannot reach KurrentDB at {address}: {m}"))
            }
            other => other,
        })?;
        let (head_tx, head_rx) = watch::channel(head);
        let head_tx = Arc::new(head_tx);
        let subscription = head::spawn(client.clone(), names.clone(), head_tx.clone());
        Ok(Self {
            inner: Arc::new(Inner {
                client,
                names,
                head: head_rx,
                head_tx,
                upcasters,
                subscription,
                address,
            }),
        })
    }

    fn recorded(
        &self,
        events: Vec<crate::event_store::stored::StoredEvent>,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        events
            .into_iter()
            .map(|e| e.into_recorded(&self.inner.upcasters))
            .collect()
    }
}

#[async_trait]
impl EventStore for KurrentDbEventStore {
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, StoreError> {
        let prepared = prepare(check_after(self, request).await?)?;
        let outcome = append::append(&self.inner.client, &self.inner.names, &prepared).await?;
        head::publish(&self.inner.head_tx, outcome.last_position);
        Ok(outcome)
    }

    async fn read_stream(
        &self,
        stream: &str,
        from_version: Version,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let from = from_version.saturating_sub(1);
        let events = read::stream_events(
            &self.inner.client,
            &self.inner.names,
            stream,
            from,
            None,
            false,
        )
        .await?;
        self.recorded(events)
    }

    async fn read_all(
        &self,
        after: Position,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let events = read::global_page(&self.inner.client, &self.inner.names, after, limit).await?;
        self.recorded(events)
    }

    async fn stream_version(&self, stream: &str) -> Result<Version, StoreError> {
        let last = read::last_event(&self.inner.client, &self.inner.names, stream).await?;
        Ok(last.map_or(0, |e| e.version))
    }

    async fn head(&self) -> Result<Position, StoreError> {
        read::head(&self.inner.client, &self.inner.names).await
    }

    async fn command_outcome(&self, command_id: Uuid) -> Result<Option<AppendOutcome>, StoreError> {
        append::command_outcome(&self.inner.client, &self.inner.names, command_id).await
    }

    async fn verify(&self, stream: &str) -> Result<VerifyReport, StoreError> {
        let events = read::stream_events(
            &self.inner.client,
            &self.inner.names,
            stream,
            0,
            None,
            false,
        )
        .await?;
        Ok(verify_chain(stream, events))
    }

    async fn stats(&self) -> Result<StoreStats, StoreError> {
        let (mut events, mut streams, mut after) = (0u64, HashSet::new(), 0);
        loop {
            let page =
                read::global_page(&self.inner.client, &self.inner.names, after, 4096).await?;
            let Some(last) = page.last() else { break };
            after = last.position;
            events += page.len() as u64;
            streams.extend(page.into_iter().map(|e| e.stream));
        }
        Ok(StoreStats {
            events,
            streams: streams.len() as u64,
            head_position: after,
            size_bytes: None,
        })
    }

    fn watch_head(&self) -> watch::Receiver<Position> {
        self.inner.head.clone()
    }

    fn describe(&self) -> String {
        format!("KurrentDB {}", self.inner.address)
    }
}
