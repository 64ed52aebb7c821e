//! The event store port: one append-only log of streams, read by stream or globally.
//!
//! - [`types`]: requests, outcomes, recorded events, metadata;
//! - `error`: [`StoreError`], typed so each failure maps to its status;
//! - [`prepared`]: appends validated and serialized before any backend sees them;
//! - [`stored`] and [`hash`]: events as stored, and the per-stream hash chain, computed and
//!   verified the same way by every backend;
//! - `select`: [`open`] a backend from a store URL; [`breaker`]: a server store that fails
//!   fast while it is known to be down;
//! - [`subscription`]: a catch-up reader of the global log that sleeps until woken;
//! - [`codec`] and [`aggregates`]: domain events in and out, and the cqrs-es `EventStore`;
//!   [`snapshots`]: aggregate states beside their streams, so a long stream loads fast.

pub mod aggregates;
pub mod breaker;
pub mod codec;
mod error;
pub mod hash;
mod metadata_map;
pub mod prepared;
mod select;
pub mod snapshots;
pub mod stored;
pub mod subscription;
mod types;

pub use aggregates::AggregateStore;
pub use breaker::Breaker;
pub use error::StoreError;
pub use select::{StoreTarget, open};
pub use subscription::Subscription;
pub use types::*;

use async_trait::async_trait;
use std::future::Future;
use std::pin::Pin;
use tokio::sync::watch;
use uuid::Uuid;

/// An append handed to the store ([`EventStore::enqueue`]); it resolves once durable.
pub type Pending = Pin<Box<dyn Future<Output = Result<AppendOutcome, StoreError>> + Send>>;

/// An event store backend. Every backend passes the same conformance suite
/// (`infra/tests/conformance`).
#[async_trait]
pub trait EventStore: Send + Sync + 'static {
    /// Appends events to one stream atomically, after checking the expected version. A request
    /// whose `metadata.command_id` was stored before appends nothing and returns the first
    /// outcome with `deduplicated` set. Returns only once the events are durable.
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, StoreError>;

    /// Hands an append to the store and returns as soon as its place is fixed: an append this
    /// process hands over later is written after it, so it may be decided on this one's
    /// result (its expected version then fails if this one fails). Awaiting the [`Pending`]
    /// gives the outcome once the events are durable, as [`EventStore::append`] does. The
    /// default appends at once; a backend with one writer in the process overrides it, so a
    /// hot stream's commands share commits instead of each waiting for the last one's.
    async fn enqueue(&self, request: AppendRequest) -> Result<Pending, StoreError> {
        let outcome = self.append(request).await;
        Ok(Box::pin(std::future::ready(outcome)))
    }

    /// A stream's events from `from_version` (inclusive), in version order.
    async fn read_stream(
        &self,
        stream: &str,
        from_version: Version,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// A stream's events from `from_version` as version, type and upcast payload only: what
    /// loading an aggregate needs. Backends override it to skip metadata and hashes.
    async fn read_payloads(
        &self,
        stream: &str,
        from_version: Version,
    ) -> Result<Vec<EventPayload>, StoreError> {
        let events = self.read_stream(stream, from_version).await?;
        Ok(events.into_iter().map(EventPayload::from).collect())
    }

    /// Up to `limit` events of the global log after `after`, in position order. Never skips:
    /// an event not returned now will never appear at a position below what was returned.
    async fn read_all(
        &self,
        after: Position,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// The events of `types` among the next `limit` events after `after`, and how far the read
    /// covered. Never skips, like [`EventStore::read_all`]; backends that can filter before
    /// decoding payloads do, which keeps readers of a few event types fast.
    async fn read_types(
        &self,
        after: Position,
        limit: usize,
        types: &[&str],
    ) -> Result<Window, StoreError> {
        let events = self.read_all(after, limit).await?;
        let up_to = events.last().map_or(after, |e| e.position);
        Ok(Window {
            events: events
                .into_iter()
                .filter(|e| types.contains(&e.event_type.as_str()))
                .collect(),
            up_to,
        })
    }

    /// Keeps `snapshot` as its stream's latest, bound to the hash link of the stream's event
    /// at its version. Keeps nothing when there is no such event or a later snapshot of the
    /// same layout is kept already; one of the same version is replaced (it may be one that
    /// did not read back). A backend without snapshot storage keeps nothing: loads then
    /// replay the whole stream.
    async fn save_snapshot(&self, snapshot: Snapshot) -> Result<(), StoreError> {
        let _ = snapshot;
        Ok(())
    }

    /// The stream's latest snapshot, only while the stream's event at its version still
    /// carries the link it was saved with: never one the log does not back.
    async fn load_snapshot(&self, stream: &str) -> Result<Option<Snapshot>, StoreError> {
        let _ = stream;
        Ok(None)
    }

    /// A stream's current version (0 when it does not exist).
    async fn stream_version(&self, stream: &str) -> Result<Version, StoreError>;

    /// The position of the newest event (0 when the log is empty).
    async fn head(&self) -> Result<Position, StoreError>;

    /// What the append of `command_id` wrote, if it was stored.
    async fn command_outcome(&self, command_id: Uuid) -> Result<Option<AppendOutcome>, StoreError>;

    /// Recomputes the stream's hash chain from the stored bytes.
    async fn verify(&self, stream: &str) -> Result<VerifyReport, StoreError>;

    /// Counts and sizes.
    async fn stats(&self) -> Result<StoreStats, StoreError>;

    /// A receiver of the head position, updated after each commit of this process (and of
    /// others where the backend can tell), for subscribers to sleep on.
    fn watch_head(&self) -> watch::Receiver<Position>;

    /// Where the events live, for operators: a file or a server address, never credentials.
    fn describe(&self) -> String;
}

/// Checks the event an [`ExpectedVersion::After`] names and turns the request into one that
/// expects the version alone, for backends that check `Exact` atomically: the event at a
/// version never changes, so once it is the named one, the version check is enough. A
/// stream not there yet, or ending in another event, is a conflict.
pub async fn check_after(
    store: &dyn EventStore,
    mut request: AppendRequest,
) -> Result<AppendRequest, StoreError> {
    let Some((version, event)) = request.expected.last_event() else {
        return Ok(request);
    };
    let found = store.read_stream(&request.stream, version.max(1)).await?;
    let at = found.iter().find(|e| e.version == version);
    if version == 0 || at.is_none_or(|e| e.event_id != event) {
        return Err(StoreError::Conflict {
            current: store.stream_version(&request.stream).await?,
            stream: request.stream,
            expected: request.expected,
        });
    }
    request.expected = ExpectedVersion::Exact(version);
    Ok(request)
}
