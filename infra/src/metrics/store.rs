//! [`MeteredEventStore`]: any event store, with every append timed and its batch size
//! recorded in the process's [`Metrics`](super::Metrics).

use super::AppendStatus;
use crate::event_store::{
    AppendOutcome, AppendRequest, EventPayload, EventStore, Pending, Position, RecordedEvent,
    Snapshot, StoreError, StoreStats, VerifyReport, Version, Window,
};
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::watch;
use uuid::Uuid;

/// An event store that records each append (outcome, duration, events written) and passes
/// every call through unchanged, so every backend is measured the same way. Wrap a store
/// once, where a server is built: wrapping twice counts every append twice.
#[derive(Clone)]
pub struct MeteredEventStore {
    inner: Arc<dyn EventStore>,
}

impl MeteredEventStore {
    /// Measures `inner`.
    pub fn new(inner: Arc<dyn EventStore>) -> Self {
        Self { inner }
    }

    /// `inner`, measured, as a store handle.
    pub fn wrap(inner: Arc<dyn EventStore>) -> Arc<dyn EventStore> {
        Arc::new(Self::new(inner))
    }
}

fn status(result: &Result<AppendOutcome, StoreError>) -> AppendStatus {
    match result {
        Ok(outcome) if outcome.deduplicated => AppendStatus::Deduplicated,
        Ok(_) => AppendStatus::Ok,
        Err(error) => failure(error),
    }
}

fn failure(error: &StoreError) -> AppendStatus {
    match error {
        StoreError::Conflict { .. } => AppendStatus::Conflict,
        StoreError::Unavailable(_) => AppendStatus::Unavailable,
        _ => AppendStatus::Error,
    }
}

#[async_trait]
impl EventStore for MeteredEventStore {
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, StoreError> {
        let events = request.events.len();
        let started = Instant::now();
        let result = self.inner.append(request).await;
        super::global().append(status(&result), events, started.elapsed());
        result
    }

    async fn enqueue(&self, request: AppendRequest) -> Result<Pending, StoreError> {
        let events = request.events.len();
        let started = Instant::now();
        match self.inner.enqueue(request).await {
            Ok(pending) => Ok(Box::pin(async move {
                let result = pending.await;
                super::global().append(status(&result), events, started.elapsed());
                result
            })),
            Err(error) => {
                super::global().append(failure(&error), events, started.elapsed());
                Err(error)
            }
        }
    }

    async fn read_stream(
        &self,
        stream: &str,
        from_version: Version,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_stream(stream, from_version).await
    }

    async fn read_payloads(
        &self,
        stream: &str,
        from_version: Version,
    ) -> Result<Vec<EventPayload>, StoreError> {
        self.inner.read_payloads(stream, from_version).await
    }

    async fn read_all(
        &self,
        after: Position,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_all(after, limit).await
    }

    async fn read_types(
        &self,
        after: Position,
        limit: usize,
        types: &[&str],
    ) -> Result<Window, StoreError> {
        self.inner.read_types(after, limit, types).await
    }

    async fn save_snapshot(&self, snapshot: Snapshot) -> Result<(), StoreError> {
        self.inner.save_snapshot(snapshot).await
    }

    async fn load_snapshot(&self, stream: &str) -> Result<Option<Snapshot>, StoreError> {
        self.inner.load_snapshot(stream).await
    }

    async fn stream_version(&self, stream: &str) -> Result<Version, StoreError> {
        self.inner.stream_version(stream).await
    }

    async fn head(&self) -> Result<Position, StoreError> {
        self.inner.head().await
    }

    async fn command_outcome(&self, command_id: Uuid) -> Result<Option<AppendOutcome>, StoreError> {
        self.inner.command_outcome(command_id).await
    }

    async fn verify(&self, stream: &str) -> Result<VerifyReport, StoreError> {
        self.inner.verify(stream).await
    }

    async fn stats(&self) -> Result<StoreStats, StoreError> {
        self.inner.stats().await
    }

    fn watch_head(&self) -> watch::Receiver<Position> {
        self.inner.watch_head()
    }

    fn describe(&self) -> String {
        self.inner.describe()
    }
}
