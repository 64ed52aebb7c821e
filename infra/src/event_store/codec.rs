//! Domain events to and from the store's (type, schema version, payload) triple.
//!
//! Domain event enums serialize externally tagged (`{"OrderPlaced": {...}}`); the store keeps
//! the tag as the event type and the inner object as the payload, so payloads read cleanly in
//! audits and other languages.

use cqrs_es::DomainEvent;
use serde_json::{Map, Value};

/// Why an event could not be encoded or decoded.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// The event did not serialize as `{"Type": {...}}`.
    #[error("event did not serialize as a single-key object")]
    Shape,
    /// The serde tag and `DomainEvent::event_type` disagree.
    #[error("event type {declared} does not match its serialized tag {tagged}")]
    TypeMismatch {
        /// From `event_type()`.
        declared: String,
        /// From serde.
        tagged: String,
    },
    /// `event_version()` is not a positive integer.
    #[error("event version {0:?} is not a number")]
    Version(String),
    /// serde failed.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

/// Splits an event into its type, schema version and payload.
pub fn encode<E: DomainEvent>(event: &E) -> Result<(String, u32, Value), CodecError> {
    let version = event.event_version();
    let schema_version = version
        .parse::<u32>()
        .map_err(|_| CodecError::Version(version.clone()))?;
    let (tagged, payload) = match serde_json::to_value(event)? {
        Value::Object(map) if map.len() == 1 => map.into_iter().next().ok_or(CodecError::Shape)?,
        _ => return Err(CodecError::Shape),
    };
    let declared = event.event_type();
    if declared != tagged {
        return Err(CodecError::TypeMismatch { declared, tagged });
    }
    Ok((tagged, schema_version, payload))
}

/// Rebuilds an event from its type and (current-schema) payload.
pub fn decode<E: DomainEvent>(event_type: &str, payload: Value) -> Result<E, CodecError> {
    let mut map = Map::with_capacity(1);
    map.insert(event_type.to_owned(), payload);
    Ok(serde_json::from_value(Value::Object(map))?)
}
