//! Aggregate snapshots: when one is taken, and when one may stand in for the start of a
//! stream.
//!
//! A snapshot is taken each time a stream passes a multiple of [`SNAPSHOT_EVERY`] events,
//! and by a load that had to replay that many events past the last one, so that a stream
//! of any length loads by replaying fewer than `SNAPSHOT_EVERY` events. It is saved in the
//! background: the log stays the only truth, and a snapshot that was not saved costs only
//! a longer replay next time.
//!
//! A snapshot is never trusted over the log. The store answers one only while the stream's
//! event at its version carries the hash link it was saved with; a load uses it only when
//! it was written with the aggregate's current [`StateVersion`] and reads back as the
//! state. Anything else is passed over, the stream is replayed in full, and a new snapshot
//! replaces the old one.

use super::{EventStore, Position, Snapshot, Version};
use cqrs_es::Aggregate;
use domain::StateVersion;
use std::sync::Arc;

/// Events between two snapshots of a stream.
pub const SNAPSHOT_EVERY: Version = 100;

/// True when a stream that went from version `before` to `after` passed a multiple of
/// [`SNAPSHOT_EVERY`].
pub fn due(before: Version, after: Version) -> bool {
    after / SNAPSHOT_EVERY > before / SNAPSHOT_EVERY
}

/// The snapshot of `state` at `version` of `stream`.
pub fn take<A: Aggregate + StateVersion>(
    stream: &str,
    state: &A,
    version: Version,
    position: Position,
) -> Option<Snapshot> {
    let state = serde_json::to_string(state).ok()?;
    Some(Snapshot {
        stream: stream.to_owned(),
        version,
        position,
        state_version: A::STATE_VERSION,
        state,
    })
}

/// The state a snapshot holds, when it has the current layout and reads back.
pub fn restore<A: Aggregate + StateVersion>(snapshot: &Snapshot) -> Option<A> {
    if snapshot.state_version != A::STATE_VERSION {
        return None;
    }
    serde_json::from_str(&snapshot.state).ok()
}

/// Saves `snapshot` without making the caller wait; a failure is only logged.
pub fn save_later(store: Arc<dyn EventStore>, snapshot: Snapshot) {
    tokio::spawn(async move {
        if let Err(error) = store.save_snapshot(snapshot).await {
            tracing::debug!(%error, "a snapshot was not saved");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::{SNAPSHOT_EVERY, due};

    #[test]
    fn a_snapshot_is_due_each_time_a_stream_passes_a_multiple() {
        assert!(!due(0, SNAPSHOT_EVERY - 1));
        assert!(due(SNAPSHOT_EVERY - 1, SNAPSHOT_EVERY));
        assert!(due(SNAPSHOT_EVERY - 3, SNAPSHOT_EVERY + 5));
        assert!(!due(SNAPSHOT_EVERY, 2 * SNAPSHOT_EVERY - 1));
    }
}
