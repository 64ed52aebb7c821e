//! The values that cross the event store port.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// A position in the global log: increasing with commit order; on SQLite and PostgreSQL it is
/// 1 for the first event and has no gaps.
pub type Position = u64;
/// A version within one stream: 1 for its first event.
pub type Version = u64;

/// What the writer believes the stream's version to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpectedVersion {
    /// The stream must not exist yet.
    NoStream,
    /// The stream's last version must be exactly this (0 is the same as `NoStream`).
    Exact(Version),
    /// Append whatever the version.
    Any,
    /// The stream's last version must be exactly this, and its event at that version the one
    /// with this id. For an append decided on a state whose own append may not be durable
    /// yet ([`super::EventStore::enqueue`]): if that one fails, another writer's event may
    /// take its version, and the version alone would then let this one through.
    After(Version, Uuid),
}

impl ExpectedVersion {
    /// True when a stream at `current` (0: no stream) satisfies the expectation; for
    /// [`ExpectedVersion::After`], as far as the version goes (see [`ExpectedVersion::last_event`]).
    pub fn accepts(&self, current: Version) -> bool {
        match self {
            ExpectedVersion::NoStream => current == 0,
            ExpectedVersion::Exact(v) | ExpectedVersion::After(v, _) => *v == current,
            ExpectedVersion::Any => true,
        }
    }

    /// The event the stream must end with, for [`ExpectedVersion::After`].
    pub fn last_event(&self) -> Option<(Version, Uuid)> {
        match self {
            ExpectedVersion::After(version, event) => Some((*version, *event)),
            _ => None,
        }
    }
}

/// Who caused an append, when, and as part of what. Shared by every event of one append.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventMetadata {
    /// The conversation the command belongs to (a request, a checkout saga).
    pub correlation_id: Uuid,
    /// The message (command or event) that caused this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub causation_id: Option<Uuid>,
    /// The acting user, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The command's id; a retried command with the same id appends nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_id: Option<Uuid>,
    /// When the command was received, at the edge.
    pub occurred_at: DateTime<Utc>,
    /// The client's `Idempotency-Key`, when it sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    /// A digest of the request that carried the key, so that a reused key with another
    /// request is recognised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_hash: Option<String>,
}

impl EventMetadata {
    /// Metadata for a new conversation, at `occurred_at`.
    pub fn new(occurred_at: DateTime<Utc>) -> Self {
        Self {
            correlation_id: Uuid::now_v7(),
            causation_id: None,
            user_id: None,
            command_id: None,
            occurred_at,
            idempotency_key: None,
            request_hash: None,
        }
    }
}

/// An event to append.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// Unique id (UUID v7, or deterministic for a retried message).
    pub event_id: Uuid,
    /// Stable type name, such as `OrderPlaced`.
    pub event_type: String,
    /// Schema version of the payload.
    pub schema_version: u32,
    /// The event's data.
    pub payload: Value,
}

impl NewEvent {
    /// An event with a fresh UUID v7.
    pub fn new(event_type: impl Into<String>, schema_version: u32, payload: Value) -> Self {
        Self {
            event_id: Uuid::now_v7(),
            event_type: event_type.into(),
            schema_version,
            payload,
        }
    }
}

/// One atomic append: all of `events` or none, to one stream.
#[derive(Debug, Clone, PartialEq)]
pub struct AppendRequest {
    /// Target stream, such as `order-<uuid>`.
    pub stream: String,
    /// Optimistic concurrency check.
    pub expected: ExpectedVersion,
    /// At least one event.
    pub events: Vec<NewEvent>,
    /// Shared metadata; its `command_id` makes the append idempotent.
    pub metadata: EventMetadata,
}

/// What an append wrote (or, for a retried command, what its first attempt wrote).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppendOutcome {
    /// The stream.
    pub stream: String,
    /// Version of the first event written.
    pub first_version: Version,
    /// Version of the last event written: the stream's version after the append.
    pub last_version: Version,
    /// Global position of the first event.
    pub first_position: Position,
    /// Global position of the last event.
    pub last_position: Position,
    /// True when nothing was written because the command id was seen before.
    pub deduplicated: bool,
    /// The commit time of the events written, when the backend tells it with the answer
    /// (not on a deduplicated answer); with it and dense positions, callers know every
    /// stored field without reading the events back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_at: Option<DateTime<Utc>>,
}

/// An event as stored, with its payload brought to the current schema.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordedEvent {
    /// Global position.
    pub position: Position,
    /// Stream.
    pub stream: String,
    /// Version within the stream.
    pub version: Version,
    /// Event id.
    pub event_id: Uuid,
    /// Type name.
    pub event_type: String,
    /// Schema version of `payload` (after upcasting).
    pub schema_version: u32,
    /// Data.
    pub payload: Value,
    /// Who, when, why.
    pub metadata: EventMetadata,
    /// When the store committed it; never decreases along the global log.
    pub recorded_at: DateTime<Utc>,
    /// Hex SHA-256 link of the stream's hash chain.
    pub hash: String,
}

/// An aggregate's state at one version of its stream, kept beside the stream so that a load
/// replays only the events after it. A store binds it to the hash link of the stream's event
/// at `version`, and answers it only while that event is there with that link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The stream.
    pub stream: String,
    /// The stream version the state reflects.
    pub version: Version,
    /// The global position of the event at `version`.
    pub position: Position,
    /// The layout of `state` (the aggregate's `StateVersion`).
    pub state_version: u32,
    /// The state, as JSON.
    pub state: String,
}

/// What replaying an aggregate needs of an event: its version, type and payload (brought
/// to the current schema), without metadata or hash.
#[derive(Debug, Clone, PartialEq)]
pub struct EventPayload {
    /// Version within the stream.
    pub version: Version,
    /// Global position.
    pub position: Position,
    /// Type name.
    pub event_type: String,
    /// Data, upcast to the current schema.
    pub payload: Value,
}

impl From<RecordedEvent> for EventPayload {
    fn from(event: RecordedEvent) -> Self {
        Self {
            version: event.version,
            position: event.position,
            event_type: event.event_type,
            payload: event.payload,
        }
    }
}

/// Figures about a store, for operators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoreStats {
    /// Events stored.
    pub events: u64,
    /// Streams.
    pub streams: u64,
    /// Position of the newest event (0 when empty).
    pub head_position: Position,
    /// Bytes on disk, where the backend can tell.
    pub size_bytes: Option<u64>,
}

/// The result of recomputing a stream's hash chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// The stream.
    pub stream: String,
    /// Events whose links were recomputed.
    pub events_checked: u64,
    /// The first link that does not hold, if any.
    pub first_broken: Option<BrokenLink>,
}

impl VerifyReport {
    /// True when every link holds.
    pub fn intact(&self) -> bool {
        self.first_broken.is_none()
    }
}

/// Where a hash chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrokenLink {
    /// Version of the event whose link fails.
    pub version: Version,
    /// Its global position.
    pub position: Position,
    /// Its id.
    pub event_id: Uuid,
    /// What does not match.
    pub reason: String,
}

/// A stretch of the global log, filtered by event type: the events of the asked types, and the
/// position the read covered up to (events of other types up to it were passed over).
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// The events of the asked types, in position order.
    pub events: Vec<RecordedEvent>,
    /// The last position the read covered; a reader continues after it.
    pub up_to: Position,
}
