//! Event store failures, typed so each maps to the right answer (409, 503, 500).

use super::{ExpectedVersion, Version};
use thiserror::Error;
use uuid::Uuid;

/// Why the event store refused or failed.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The stream is not at the expected version; nothing was written.
    #[error("stream {stream} is at version {current}, expected {expected:?}")]
    Conflict {
        /// The stream.
        stream: String,
        /// What the writer expected.
        expected: ExpectedVersion,
        /// The stream's actual version (0: no stream).
        current: Version,
    },
    /// An event id that is already stored; nothing was written.
    #[error("event {0} is already stored")]
    DuplicateEvent(Uuid),
    /// A command id already used for an append to a different stream.
    #[error("command {command_id} was already applied to stream {stream}")]
    CommandReused {
        /// The command id.
        command_id: Uuid,
        /// The stream its first append went to.
        stream: String,
    },
    /// The request itself is unusable (no events, a blank stream name).
    #[error("invalid append: {0}")]
    Invalid(String),
    /// The backend cannot be reached or is busy; retrying later may work.
    #[error("event store unavailable: {0}")]
    Unavailable(String),
    /// Stored data that cannot be read back (bad JSON, an unknown schema version).
    #[error("stored event at position {position} is unreadable: {reason}")]
    Corrupt {
        /// Where.
        position: u64,
        /// Why.
        reason: String,
    },
    /// Anything else the backend reported.
    #[error("event store failure: {0}")]
    Backend(String),
}

impl StoreError {
    /// True for failures a client may retry after a pause (answer 503 with `Retry-After`).
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}
