//! Where each projection stands, shared in-process between projectors and queries: the
//! position applied so far (for `X-Min-Position` waits and lag) and whether it is parked.

use infra::event_store::Position;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// Why a projection stopped at an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parked {
    /// The event it cannot apply.
    pub position: Position,
    /// The error.
    pub error: String,
}

/// The positions of the projections of this process.
#[derive(Clone, Default)]
pub struct Positions {
    channels: Arc<Mutex<HashMap<String, watch::Sender<Position>>>>,
    parked: Arc<Mutex<HashMap<String, Parked>>>,
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

    /// Records that `key` stopped at an event it cannot apply.
    pub fn park(&self, key: &str, position: Position, error: String) {
        if let Ok(mut parked) = self.parked.lock() {
            parked.insert(key.to_owned(), Parked { position, error });
        }
    }

    /// Records that `key` moved past its parked event.
    pub fn unpark(&self, key: &str) {
        if let Ok(mut parked) = self.parked.lock() {
            parked.remove(key);
        }
    }

    /// Where `key` is parked, if it is.
    pub fn parked(&self, key: &str) -> Option<Parked> {
        self.parked.lock().ok()?.get(key).cloned()
    }
}
