//! Events as the backends store them (text payload and metadata, hex hash), and their
//! conversion into [`RecordedEvent`]s: parse, upcast, check.

use super::{Position, RecordedEvent, StoreError, Version};
use chrono::{DateTime, SecondsFormat, Utc};
use domain::schema::Upcasters;
use uuid::Uuid;

/// An event's stored bytes.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    /// Global position.
    pub position: Position,
    /// Stream.
    pub stream: String,
    /// Version in the stream.
    pub version: Version,
    /// Event id.
    pub event_id: Uuid,
    /// Type name.
    pub event_type: String,
    /// Stored schema version.
    pub schema_version: u32,
    /// Payload JSON exactly as stored.
    pub payload: String,
    /// Metadata JSON exactly as stored.
    pub metadata: String,
    /// Commit time exactly as stored ([`format_time`]).
    pub recorded_at: String,
    /// The stored chain link, hex.
    pub hash: String,
}

/// The fields a chain link covers, borrowed.
#[derive(Debug, Clone, Copy)]
pub struct LinkInput<'a> {
    /// Stream.
    pub stream: &'a str,
    /// Version.
    pub version: Version,
    /// Event id.
    pub event_id: Uuid,
    /// Type name.
    pub event_type: &'a str,
    /// Schema version.
    pub schema_version: u32,
    /// Payload text.
    pub payload: &'a str,
    /// Metadata text.
    pub metadata: &'a str,
    /// Commit time text.
    pub recorded_at: &'a str,
}

impl StoredEvent {
    /// The fields its link covers.
    pub fn link_input(&self) -> LinkInput<'_> {
        LinkInput {
            stream: &self.stream,
            version: self.version,
            event_id: self.event_id,
            event_type: &self.event_type,
            schema_version: self.schema_version,
            payload: &self.payload,
            metadata: &self.metadata,
            recorded_at: &self.recorded_at,
        }
    }

    /// Parses the stored text and upcasts the payload to its current schema.
    pub fn into_recorded(self, upcasters: &Upcasters) -> Result<RecordedEvent, StoreError> {
        let position = self.position;
        let corrupt = |reason: String| StoreError::Corrupt { position, reason };
        let (schema_version, payload) = upcast(
            upcasters,
            position,
            &self.event_type,
            self.schema_version,
            &self.payload,
        )?;
        let metadata =
            serde_json::from_str(&self.metadata).map_err(|e| corrupt(format!("metadata: {e}")))?;
        let recorded_at = parse_time(&self.recorded_at)
            .ok_or_else(|| corrupt(format!("recorded_at {:?}", self.recorded_at)))?;
        Ok(RecordedEvent {
            position,
            stream: self.stream,
            version: self.version,
            event_id: self.event_id,
            event_type: self.event_type,
            schema_version,
            payload,
            metadata,
            recorded_at,
            hash: self.hash,
        })
    }
}

/// Parses a stored payload and upcasts it to its current schema: the part of
/// [`StoredEvent::into_recorded`] that replaying an aggregate needs. `position` names the
/// event in the error when it cannot be read.
pub fn upcast_payload(
    upcasters: &Upcasters,
    position: Position,
    event_type: &str,
    schema_version: u32,
    payload: &str,
) -> Result<serde_json::Value, StoreError> {
    upcast(upcasters, position, event_type, schema_version, payload).map(|(_, payload)| payload)
}

/// The payload parsed and upcast, with the schema version it ends at.
fn upcast(
    upcasters: &Upcasters,
    position: Position,
    event_type: &str,
    schema_version: u32,
    payload: &str,
) -> Result<(u32, serde_json::Value), StoreError> {
    let corrupt = |reason: String| StoreError::Corrupt { position, reason };
    let payload = serde_json::from_str(payload).map_err(|e| corrupt(format!("payload: {e}")))?;
    upcasters
        .upcast(event_type, schema_version, payload)
        .map_err(|e| corrupt(e.to_string()))
}

/// Commit times as stored: fixed-width RFC 3339 in UTC with microseconds, so that text order
/// is time order.
pub fn format_time(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Parses a stored commit time.
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}
