//! An event store whose appends are answered only while its gate is open: what was handed
//! over is written at once, but nobody hears so until the test opens the gate.

use async_trait::async_trait;
use infra::event_store::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::watch;
use uuid::Uuid;

pub struct Gated {
    inner: Arc<dyn EventStore>,
    open: watch::Sender<bool>,
    handed: AtomicUsize,
}

impl Gated {
    pub fn new(inner: Arc<dyn EventStore>) -> Self {
        Self {
            inner,
            open: watch::Sender::new(false),
            handed: AtomicUsize::new(0),
        }
    }

    pub fn open(&self) {
        self.open.send_replace(true);
    }

    pub fn close(&self) {
        self.open.send_replace(false);
    }

    /// Waits until `n` appends have been handed over in all; fails after 10 s.
    pub async fn wait_for_handed(&self, n: usize) {
        let waited = tokio::time::timeout(Duration::from_secs(10), async {
            while self.handed.load(Ordering::SeqCst) < n {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await;
        assert!(
            waited.is_ok(),
            "only {} of {n} appends were handed over",
            self.handed.load(Ordering::SeqCst)
        );
    }
}

#[async_trait]
impl EventStore for Gated {
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, StoreError> {
        self.enqueue(request).await?.await
    }
    async fn enqueue(&self, request: AppendRequest) -> Result<Pending, StoreError> {
        let pending = self.inner.enqueue(request).await?;
        self.handed.fetch_add(1, Ordering::SeqCst);
        let mut open = self.open.subscribe();
        Ok(Box::pin(async move {
            let outcome = pending.await;
            let _ = open.wait_for(|open| *open).await;
            outcome
        }))
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
    fn watch_head(&self) -> watch::Receiver<Position> {
        self.inner.watch_head()
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
}
