//! An event store whose appends are answered only while its gate is open: what was handed
//! over is written at once, but nobody hears so until the test opens the gate.

#[path = "../support/forward.rs"]
#[macro_use]
mod forward;

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

forwarding_store!(Gated {
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
});
