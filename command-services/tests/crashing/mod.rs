//! An event store that dies at its `n`th append: shared by the checkout crash tests.

use async_trait::async_trait;
use infra::event_store::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use uuid::Uuid;

/// An event store that dies at its `n`th append, before it commits or after (the answer lost);
/// every append after that fails the same way.
pub struct Crashing {
    pub inner: Arc<dyn EventStore>,
    pub appends_left: AtomicUsize,
    pub commit_then_die: bool,
}

#[async_trait]
impl EventStore for Crashing {
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, StoreError> {
        // Counted down to zero and no further, so that once dead it stays dead, however many
        // tasks append at once.
        let alive = self
            .appends_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        if alive.is_ok() {
            return self.inner.append(request).await;
        }
        if self.commit_then_die {
            self.inner.append(request).await?;
        }
        Err(StoreError::Unavailable("the process died".into()))
    }
    async fn read_stream(&self, s: &str, v: Version) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_stream(s, v).await
    }
    async fn read_payloads(&self, s: &str, v: Version) -> Result<Vec<EventPayload>, StoreError> {
        self.inner.read_payloads(s, v).await
    }
    async fn read_all(&self, a: Position, l: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_all(a, l).await
    }
    async fn read_types(&self, a: Position, l: usize, t: &[&str]) -> Result<Window, StoreError> {
        self.inner.read_types(a, l, t).await
    }
    async fn stream_version(&self, s: &str) -> Result<Version, StoreError> {
        self.inner.stream_version(s).await
    }
    async fn head(&self) -> Result<Position, StoreError> {
        self.inner.head().await
    }
    async fn command_outcome(&self, c: Uuid) -> Result<Option<AppendOutcome>, StoreError> {
        self.inner.command_outcome(c).await
    }
    async fn verify(&self, s: &str) -> Result<VerifyReport, StoreError> {
        self.inner.verify(s).await
    }
    async fn stats(&self) -> Result<StoreStats, StoreError> {
        self.inner.stats().await
    }
    fn watch_head(&self) -> tokio::sync::watch::Receiver<Position> {
        self.inner.watch_head()
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
}
