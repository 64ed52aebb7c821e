//! How a query process learns where projections stand when they run in other processes: one
//! task per process reads the checkpoints that someone is waiting for, every few
//! milliseconds while anyone waits and not at all otherwise, and publishes them into the
//! same [`Positions`] that projectors of this process publish to. However many queries wait,
//! the store sees one read per awaited projection per interval.

use infra::read_store::ReadStore;
use projections::runtime::Positions;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// How often awaited checkpoints are read.
pub const INTERVAL: Duration = Duration::from_millis(5);

/// The checkpoints awaited now, and the task that reads them; cheap to clone.
#[derive(Clone, Default)]
pub struct Checkpoints {
    awaited: Arc<Mutex<HashMap<String, usize>>>,
    wake: Arc<Notify>,
}

/// Interest in one checkpoint; dropped, the interest ends.
pub struct Interest {
    checkpoints: Checkpoints,
    key: String,
}

impl Drop for Interest {
    fn drop(&mut self) {
        if let Ok(mut awaited) = self.checkpoints.awaited.lock()
            && let Some(count) = awaited.get_mut(&self.key)
        {
            *count -= 1;
            if *count == 0 {
                awaited.remove(&self.key);
            }
        }
    }
}

impl Checkpoints {
    /// Marks `key` awaited until the returned interest is dropped.
    pub fn interest(&self, key: &str) -> Interest {
        if let Ok(mut awaited) = self.awaited.lock() {
            *awaited.entry(key.to_owned()).or_insert(0) += 1;
        }
        self.wake.notify_one();
        Interest {
            checkpoints: self.clone(),
            key: key.to_owned(),
        }
    }

    fn awaited(&self) -> Vec<String> {
        self.awaited
            .lock()
            .map(|a| a.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Reads the awaited checkpoints into `positions` until the task is aborted.
    pub async fn follow(self, read: Arc<dyn ReadStore>, positions: Positions) {
        loop {
            let keys = self.awaited();
            if keys.is_empty() {
                self.wake.notified().await;
                continue;
            }
            for key in keys {
                // A store that hangs must not hold every other awaited checkpoint.
                match tokio::time::timeout(Duration::from_secs(1), read.checkpoint(&key)).await {
                    Ok(Ok(position)) => positions.publish(&key, position),
                    Ok(Err(e)) => tracing::debug!(%key, error = %e, "cannot read a checkpoint"),
                    Err(_) => tracing::debug!(%key, "reading a checkpoint took too long"),
                }
            }
            tokio::time::sleep(INTERVAL).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interests_are_counted_and_end_when_dropped() {
        let checkpoints = Checkpoints::default();
        let a = checkpoints.interest("catalog_v1");
        let b = checkpoints.interest("catalog_v1");
        let c = checkpoints.interest("orders_v1");
        let mut keys = checkpoints.awaited();
        keys.sort();
        assert_eq!(keys, ["catalog_v1", "orders_v1"]);
        drop(a);
        drop(c);
        assert_eq!(checkpoints.awaited(), ["catalog_v1"]);
        drop(b);
        assert!(checkpoints.awaited().is_empty());
    }
}
