//! Conversions between the port's values and KurrentDB's, pure and tested without a server:
//! versions and revisions, positions, deterministic event ids, our metadata inside the
//! event's custom metadata, and client errors.

use crate::event_store::stored::StoredEvent;
use crate::event_store::{ExpectedVersion, Position, StoreError, Version};
use kurrentdb::{CurrentRevision, StreamPosition, StreamState};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Streams holding idempotency records (one per command id); hidden from the global log.
pub const COMMAND_STREAM_PREFIX: &str = "ecommerce-command-";

/// The idempotency record stream of a command.
pub fn command_stream(command_id: Uuid) -> String {
    format!("{COMMAND_STREAM_PREFIX}{command_id}")
}

/// True for events the global log does not show: system streams and types (`$...`) and
/// our idempotency records.
pub fn hidden(stream: &str, event_type: &str) -> bool {
    stream.starts_with('$')
        || event_type.starts_with('$')
        || stream.starts_with(COMMAND_STREAM_PREFIX)
}

/// Our version N is KurrentDB revision N - 1; version 0 is "no stream".
pub fn version_of(revision: CurrentRevision) -> Version {
    match revision {
        CurrentRevision::Current(r) => r + 1,
        CurrentRevision::NoStream => 0,
    }
}

/// The stream state that a stream at `current` (our version) is, for an append that must
/// find it unchanged.
pub fn state_at(current: Version) -> StreamState {
    match current {
        0 => StreamState::NoStream,
        v => StreamState::StreamRevision(v - 1),
    }
}

/// The port's expectation as a KurrentDB stream state.
pub fn expected_state(expected: ExpectedVersion) -> StreamState {
    match expected {
        ExpectedVersion::NoStream => StreamState::NoStream,
        ExpectedVersion::Exact(v) | ExpectedVersion::After(v, _) => state_at(v),
        ExpectedVersion::Any => StreamState::Any,
    }
}

/// Where to start reading `$all` to see the events after `after` (the commit position of
/// an event, or 0 for the start). The event at `after` itself comes back and is skipped.
pub fn read_from(after: Position) -> StreamPosition<kurrentdb::Position> {
    match after {
        0 => StreamPosition::Start,
        p => StreamPosition::Position(kurrentdb::Position {
            commit: p,
            prepare: p,
        }),
    }
}

/// The global position of an event: its `$all` commit position.
pub fn position_of(position: kurrentdb::Position) -> Position {
    position.commit
}

/// Event ids of an append: derived from the command id (UUID v5 of the command id and the
/// event's index) when there is one, so a retried command writes the same ids and the
/// server recognizes it; otherwise the ids the caller gave.
pub fn event_id(command_id: Option<Uuid>, index: usize, given: Uuid) -> Uuid {
    match command_id {
        Some(command) => Uuid::new_v5(&command, &(index as u64).to_be_bytes()),
        None => given,
    }
}

/// What we keep in an event's custom metadata: the fields KurrentDB has no place for, as the
/// exact text the hash chain covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomMetadata {
    /// Our [`EventMetadata`](crate::event_store::EventMetadata) JSON, as hashed.
    pub metadata: String,
    /// Schema version of the payload.
    pub schema_version: u32,
    /// Commit time as hashed ([`format_time`](crate::event_store::stored::format_time)).
    pub recorded_at: String,
    /// The hash-chain link, hex.
    pub hash: String,
    /// The command id, repeated for lookups without parsing `metadata`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_id: Option<Uuid>,
}

/// An event as KurrentDB returned it, field by field.
pub struct Fetched<'a> {
    /// Stream.
    pub stream: &'a str,
    /// Revision in the stream.
    pub revision: u64,
    /// Event id.
    pub event_id: Uuid,
    /// Type.
    pub event_type: &'a str,
    /// Data bytes.
    pub data: &'a [u8],
    /// Custom metadata bytes.
    pub custom_metadata: &'a [u8],
    /// `$all` commit position.
    pub position: Position,
}

/// Rebuilds the stored form of an event (for upcasting and hash checks).
pub fn stored_event(event: &Fetched<'_>) -> Result<StoredEvent, StoreError> {
    let corrupt = |reason: String| StoreError::Corrupt {
        position: event.position,
        reason,
    };
    let custom: CustomMetadata = serde_json::from_slice(event.custom_metadata)
        .map_err(|e| corrupt(format!("custom metadata: {e}")))?;
    let payload = std::str::from_utf8(event.data)
        .map_err(|e| corrupt(format!("payload is not UTF-8: {e}")))?;
    Ok(StoredEvent {
        position: event.position,
        stream: event.stream.to_owned(),
        version: event.revision + 1,
        event_id: event.event_id,
        event_type: event.event_type.to_owned(),
        schema_version: custom.schema_version,
        payload: payload.to_owned(),
        metadata: custom.metadata,
        recorded_at: custom.recorded_at,
        hash: custom.hash,
    })
}

/// Classifies a client failure; a wrong expected version is a conflict on `stream`.
pub fn store_error(error: kurrentdb::Error, stream: &str, expected: ExpectedVersion) -> StoreError {
    use kurrentdb::Error as E;
    match error {
        E::WrongExpectedVersion { current, .. } => StoreError::Conflict {
            stream: stream.to_owned(),
            expected,
            current: version_of(current),
        },
        E::ConnectionClosed
        | E::GrpcConnectionError(_)
        | E::DeadlineExceeded
        | E::NotLeaderException(_)
        | E::ServerError(_) => StoreError::Unavailable(format!("KurrentDB: {error}")),
        E::Grpc {
            code:
                tonic::Code::Unavailable
                | tonic::Code::DeadlineExceeded
                | tonic::Code::ResourceExhausted
                | tonic::Code::Aborted
                | tonic::Code::Cancelled,
            ..
        } => StoreError::Unavailable(format!("KurrentDB: {error}")),
        other => StoreError::Backend(format!("KurrentDB: {other}")),
    }
}

/// Classifies a failure of a read, where no version was expected.
pub fn read_error(error: kurrentdb::Error) -> StoreError {
    store_error(error, "", ExpectedVersion::Any)
}

#[cfg(test)]
#[path = "convert_tests.rs"]
mod tests;
