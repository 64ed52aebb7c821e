//! [`Breaker`]: a server-backed event store that, once it has found the server down, answers
//! `Unavailable` at once instead of letting every request wait out the connection pool's
//! timeout, and probes the server in the background until it answers again.
//!
//! Only for stores behind a network (PostgreSQL, KurrentDB): there `Unavailable` means the
//! server cannot be reached. The embedded SQLite file is not wrapped: a full disk makes its
//! appends unavailable while its reads still work, and those must keep answering.

use super::{
    AppendOutcome, AppendRequest, EventPayload, EventStore, Position, RecordedEvent, StoreError,
    StoreStats, VerifyReport, Version, Window,
};
use async_trait::async_trait;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::watch;
use uuid::Uuid;

/// How often a store found down is probed.
const PROBE_INTERVAL: Duration = Duration::from_millis(500);
/// The longest one probe waits.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// An event store that fails fast while its server is known to be down.
#[derive(Clone)]
pub struct Breaker {
    inner: Arc<dyn EventStore>,
    state: Arc<State>,
}

struct State {
    /// Set when a call found the server unreachable; cleared by a probe that reached it.
    down: AtomicBool,
    /// The last failure, for the answers given while down.
    reason: std::sync::Mutex<String>,
}

impl Breaker {
    /// `inner`, failing fast while down, as a store handle.
    pub fn wrap(inner: Arc<dyn EventStore>) -> Arc<dyn EventStore> {
        Arc::new(Self {
            inner,
            state: Arc::new(State {
                down: AtomicBool::new(false),
                reason: std::sync::Mutex::new(String::new()),
            }),
        })
    }

    /// True while the server is known to be down.
    pub fn is_down(&self) -> bool {
        self.state.down.load(Ordering::Acquire)
    }

    /// `Unavailable` at once while down.
    fn check(&self) -> Result<(), StoreError> {
        if !self.is_down() {
            return Ok(());
        }
        let reason = self
            .state
            .reason
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default();
        Err(StoreError::Unavailable(format!(
            "the event store is down ({reason}); it is probed in the background"
        )))
    }

    /// Notes the outcome of a call: an unreachable server trips the breaker and starts the
    /// probe (one at a time).
    fn note<T>(&self, result: Result<T, StoreError>) -> Result<T, StoreError> {
        if let Err(StoreError::Unavailable(reason)) = &result {
            if let Ok(mut last) = self.state.reason.lock() {
                last.clone_from(reason);
            }
            if !self.state.down.swap(true, Ordering::AcqRel) {
                tracing::warn!(error = %reason, "the event store is down; probing it");
                tokio::spawn(probe(self.inner.clone(), self.state.clone()));
            }
        }
        result
    }
}

/// Reads the head until the server answers, then lets calls through again.
async fn probe(inner: Arc<dyn EventStore>, state: Arc<State>) {
    loop {
        tokio::time::sleep(PROBE_INTERVAL).await;
        if let Ok(Ok(_)) = tokio::time::timeout(PROBE_TIMEOUT, inner.head()).await {
            state.down.store(false, Ordering::Release);
            tracing::info!("the event store answers again");
            return;
        }
    }
}

#[async_trait]
impl EventStore for Breaker {
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, StoreError> {
        self.check()?;
        self.note(self.inner.append(request).await)
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
