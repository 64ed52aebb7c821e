//! Appends checked and serialized before they reach a backend's writer, the same way for
//! every backend: stream names, event counts and types are validated here, and payloads and
//! metadata become the exact text that is stored and hashed.

use super::{AppendRequest, ExpectedVersion, StoreError};
use uuid::Uuid;

/// The most events one append may carry.
pub const MAX_EVENTS_PER_APPEND: usize = 1000;

/// The longest stream name, in bytes.
pub const MAX_STREAM_NAME: usize = 200;

/// An append with its payloads already serialized.
#[derive(Debug, Clone)]
pub struct PreparedAppend {
    /// Target stream.
    pub stream: String,
    /// Optimistic concurrency check.
    pub expected: ExpectedVersion,
    /// The command id that makes the append idempotent.
    pub command_id: Option<Uuid>,
    /// The shared metadata, as stored.
    pub metadata: String,
    /// The events, in order.
    pub events: Vec<PreparedEvent>,
}

/// One event of a [`PreparedAppend`].
#[derive(Debug, Clone)]
pub struct PreparedEvent {
    /// Event id.
    pub event_id: Uuid,
    /// Type name.
    pub event_type: String,
    /// Schema version of the payload.
    pub schema_version: u32,
    /// Payload JSON, as stored.
    pub payload: String,
}

/// Validates a request and serializes its payloads and metadata.
pub fn prepare(request: AppendRequest) -> Result<PreparedAppend, StoreError> {
    if request.stream.trim().is_empty() || request.stream.len() > MAX_STREAM_NAME {
        return Err(StoreError::Invalid(format!(
            "a stream name has 1 to {MAX_STREAM_NAME} characters"
        )));
    }
    if request.events.is_empty() || request.events.len() > MAX_EVENTS_PER_APPEND {
        return Err(StoreError::Invalid(format!(
            "an append carries 1 to {MAX_EVENTS_PER_APPEND} events"
        )));
    }
    let json = |v: &serde_json::Value| {
        serde_json::to_string(v).map_err(|e| StoreError::Invalid(e.to_string()))
    };
    let events = request
        .events
        .iter()
        .map(|e| {
            if e.event_type.trim().is_empty() {
                return Err(StoreError::Invalid("an event needs a type".into()));
            }
            Ok(PreparedEvent {
                event_id: e.event_id,
                event_type: e.event_type.clone(),
                schema_version: e.schema_version,
                payload: json(&e.payload)?,
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(PreparedAppend {
        command_id: request.metadata.command_id,
        metadata: serde_json::to_string(&request.metadata)
            .map_err(|e| StoreError::Invalid(e.to_string()))?,
        stream: request.stream,
        expected: request.expected,
        events,
    })
}
