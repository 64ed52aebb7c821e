//! Where each projection stands, shared in-process between projectors and queries: the
//! position applied so far (for `X-Min-Position` waits and lag). Parked events are kept
//! durably in the ops state (`crate::ops::state`), where every process sees them.

use infra::event_store::Position;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// The positions of the projections of this process.
#[derive(Clone, Default)]
pub struct Positions {
    channels: Arc<Mutex<HashMap<String, watch::Sender<Position>>>>,
}

impl Positions {
    fn sender(&self, key: &str) -> Option<watch::Sender<Position>> {
        let mut channels = self.channels.lock().ok()?;
        Some(
            channels
                .entry(key.to_owned())
                .or_insert_with(|| watch::channel(0).0)
                .clone(),
        )
    }

    /// Records that `key` has applied everything up to `position`.
    pub fn publish(&self, key: &str, position: Position) {
        if let Some(sender) = self.sender(key) {
            sender.send_if_modified(|p| {
                let moved = position > *p;
                *p = (*p).max(position);
                moved
            });
        }
    }

    /// A receiver of `key`'s position.
    pub fn watch(&self, key: &str) -> Option<watch::Receiver<Position>> {
        self.sender(key).map(|s| s.subscribe())
    }

    /// The position `key` has published (0 before it starts).
    pub fn position(&self, key: &str) -> Position {
        self.watch(key).map_or(0, |w| *w.borrow())
    }
}
