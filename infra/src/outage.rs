//! [`Outage`]: what a server-backed store knows of its server being down. The first call that
//! finds the server unreachable trips it; from then on calls are refused at once instead of
//! each waiting out the client's timeouts, and a background task probes the server every
//! [`PROBE_INTERVAL`] until it answers. The store wrappers
//! ([`crate::event_store::Breaker`], [`crate::read_store::ReadBreaker`]) use it.

use futures_util::future::BoxFuture;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How often a server found down is probed.
pub const PROBE_INTERVAL: Duration = Duration::from_millis(500);
/// The longest one probe waits.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// A probe: true when the server answered.
pub type Probe = Arc<dyn Fn() -> BoxFuture<'static, bool> + Send + Sync>;

/// Whether a server is known to be down, and why.
pub struct Outage {
    what: &'static str,
    down: AtomicBool,
    reason: Mutex<String>,
    probe: Probe,
}

impl Outage {
    /// The outage state of `what` (for the logs), probed with `probe` while down.
    pub fn new(what: &'static str, probe: Probe) -> Arc<Self> {
        Arc::new(Self {
            what,
            down: AtomicBool::new(false),
            reason: Mutex::new(String::new()),
            probe,
        })
    }

    /// `Some(why)` while the server is known to be down.
    pub fn down(&self) -> Option<String> {
        if !self.down.load(Ordering::Acquire) {
            return None;
        }
        let reason = self.reason.lock().map(|r| r.clone()).unwrap_or_default();
        Some(format!(
            "the {} is down ({reason}); it is probed in the background",
            self.what
        ))
    }

    /// A call found the server unreachable: refuse calls until a probe reaches it.
    pub fn trip(self: &Arc<Self>, reason: &str) {
        if let Ok(mut last) = self.reason.lock() {
            reason.clone_into(&mut last);
        }
        if !self.down.swap(true, Ordering::AcqRel) {
            tracing::warn!(store = self.what, error = %reason, "down; probing it");
            tokio::spawn(self.clone().probe_until_up());
        }
    }

    async fn probe_until_up(self: Arc<Self>) {
        loop {
            tokio::time::sleep(PROBE_INTERVAL).await;
            if let Ok(true) = tokio::time::timeout(PROBE_TIMEOUT, (self.probe)()).await {
                self.down.store(false, Ordering::Release);
                tracing::info!(store = self.what, "answers again");
                return;
            }
        }
    }
}
