//! [`Breaker`]: a server-backed event store that, once it has found the server down, answers
//! `Unavailable` at once instead of letting every request wait out the connection pool's
//! timeout, and probes the server in the background until it answers again ([`Outage`]).
//!
//! Only for stores behind a network (PostgreSQL, KurrentDB): there `Unavailable` means the
//! server cannot be reached. The embedded SQLite file is not wrapped: a full disk makes its
//! appends unavailable while its reads still work, and those must keep answering.

use super::{
    AppendOutcome, AppendRequest, EventPayload, EventStore, Pending, Position, RecordedEvent,
    Snapshot, StoreError, StoreStats, VerifyReport, Version, Window,
};
use crate::outage::Outage;
use async_trait::async_trait;
use std::sync::Arc;
use tokio::sync::watch;
use uuid::Uuid;

/// An event store that fails fast while its server is known to be down.
#[derive(Clone)]
pub struct Breaker {
    inner: Arc<dyn EventStore>,
    outage: Arc<Outage>,
}

impl Breaker {
    /// `inner`, failing fast while down (probed by reading its head), as a store handle.
    pub fn wrap(inner: Arc<dyn EventStore>) -> Arc<dyn EventStore> {
        let probed = inner.clone();
        let outage = Outage::new(
            "event store",
            Arc::new(move || {
                let store = probed.clone();
                Box::pin(async move { store.head().await.is_ok() })
            }),
        );
        Arc::new(Self { inner, outage })
    }

    /// `Unavailable` at once while down.
    fn check(&self) -> Result<(), StoreError> {
        self.outage
            .down()
            .map_or(Ok(()), |why| Err(StoreError::Unavailable(why)))
    }

    /// Notes the outcome of a call: an unreachable server trips the breaker.
    fn note<T>(&self, result: Result<T, StoreError>) -> Result<T, StoreError> {
        if let Err(StoreError::Unavailable(reason)) = &result {
            self.outage.trip(reason);
        }
        result
    }
}

#[async_trait]
impl EventStore for Breaker {
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, StoreError> {
        self.check()?;
        self.note(self.inner.append(request).await)
    }

    async fn enqueue(&self, request: AppendRequest) -> Result<Pending, StoreError> {
        self.check()?;
        let pending = self.note(self.inner.enqueue(request).await)?;
        let breaker = self.clone();
        Ok(Box::pin(async move { breaker.note(pending.await) }))
    }

    async fn read_stream(
        &self,
        stream: &str,
        from_version: Version,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.check()?;
        self.note(self.inner.read_stream(stream, from_version).await)
    }

    async fn read_payloads(
        &self,
        stream: &str,
        from_version: Version,
    ) -> Result<Vec<EventPayload>, StoreError> {
        self.check()?;
        self.note(self.inner.read_payloads(stream, from_version).await)
    }

    async fn read_all(
        &self,
        after: Position,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.check()?;
        self.note(self.inner.read_all(after, limit).await)
    }

    async fn read_types(
        &self,
        after: Position,
        limit: usize,
        types: &[&str],
    ) -> Result<Window, StoreError> {
        self.check()?;
        self.note(self.inner.read_types(after, limit, types).await)
    }

    async fn save_snapshot(&self, snapshot: Snapshot) -> Result<(), StoreError> {
        self.check()?;
        self.note(self.inner.save_snapshot(snapshot).await)
    }

    async fn load_snapshot(&self, stream: &str) -> Result<Option<Snapshot>, StoreError> {
        self.check()?;
        self.note(self.inner.load_snapshot(stream).await)
    }

    async fn stream_version(&self, stream: &str) -> Result<Version, StoreError> {
        self.check()?;
        self.note(self.inner.stream_version(stream).await)
    }

    async fn head(&self) -> Result<Position, StoreError> {
        self.check()?;
        self.note(self.inner.head().await)
    }

    async fn command_outcome(&self, command_id: Uuid) -> Result<Option<AppendOutcome>, StoreError> {
        self.check()?;
        self.note(self.inner.command_outcome(command_id).await)
    }

    async fn verify(&self, stream: &str) -> Result<VerifyReport, StoreError> {
        self.check()?;
        self.note(self.inner.verify(stream).await)
    }

    async fn stats(&self) -> Result<StoreStats, StoreError> {
        self.check()?;
        self.note(self.inner.stats().await)
    }

    fn watch_head(&self) -> watch::Receiver<Position> {
        self.inner.watch_head()
    }

    fn describe(&self) -> String {
        self.inner.describe()
    }
}
