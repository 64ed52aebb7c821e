//! Our [`EventMetadata`] as the string map of cqrs-es envelopes, under the [`keys`] below;
//! envelopes read from the store also carry the stored position, event id and commit time.

use super::EventMetadata;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use uuid::Uuid;

/// Metadata keys in cqrs-es envelopes.
pub mod keys {
    /// [`EventMetadata::correlation_id`](super::EventMetadata::correlation_id).
    pub const CORRELATION_ID: &str = "correlation_id";
    /// [`EventMetadata::causation_id`](super::EventMetadata::causation_id).
    pub const CAUSATION_ID: &str = "causation_id";
    /// [`EventMetadata::user_id`](super::EventMetadata::user_id).
    pub const USER_ID: &str = "user_id";
    /// [`EventMetadata::command_id`](super::EventMetadata::command_id).
    pub const COMMAND_ID: &str = "command_id";
    /// [`EventMetadata::occurred_at`](super::EventMetadata::occurred_at), RFC 3339.
    pub const OCCURRED_AT: &str = "occurred_at";
    /// The event's global position (read only).
    pub const POSITION: &str = "position";
    /// The event's id (read only).
    pub const EVENT_ID: &str = "event_id";
    /// The commit time (read only).
    pub const RECORDED_AT: &str = "recorded_at";
    /// [`EventMetadata::idempotency_key`](super::EventMetadata::idempotency_key).
    pub const IDEMPOTENCY_KEY: &str = "idempotency_key";
    /// [`EventMetadata::request_hash`](super::EventMetadata::request_hash).
    pub const REQUEST_HASH: &str = "request_hash";
}

impl EventMetadata {
    /// Reads metadata from a cqrs-es map. A missing correlation id starts a new conversation;
    /// a missing time is now.
    pub fn from_map(map: &HashMap<String, String>) -> Result<Self, String> {
        let uuid = |key: &str| -> Result<Option<Uuid>, String> {
            map.get(key)
                .map(|v| Uuid::parse_str(v).map_err(|e| format!("{key}: {e}")))
                .transpose()
        };
        let occurred_at = match map.get(keys::OCCURRED_AT) {
            Some(t) => DateTime::parse_from_rfc3339(t)
                .map_err(|e| format!("{}: {e}", keys::OCCURRED_AT))?
                .with_timezone(&Utc),
            None => Utc::now(),
        };
        Ok(Self {
            correlation_id: uuid(keys::CORRELATION_ID)?.unwrap_or_else(Uuid::now_v7),
            causation_id: uuid(keys::CAUSATION_ID)?,
            user_id: map.get(keys::USER_ID).cloned(),
            command_id: uuid(keys::COMMAND_ID)?,
            occurred_at,
            idempotency_key: map.get(keys::IDEMPOTENCY_KEY).cloned(),
            request_hash: map.get(keys::REQUEST_HASH).cloned(),
        })
    }

    /// Writes metadata into a cqrs-es map.
    pub fn to_map(&self) -> HashMap<String, String> {
        let mut map = HashMap::new();
        map.insert(keys::CORRELATION_ID.into(), self.correlation_id.to_string());
        if let Some(id) = self.causation_id {
            map.insert(keys::CAUSATION_ID.into(), id.to_string());
        }
        if let Some(user) = &self.user_id {
            map.insert(keys::USER_ID.into(), user.clone());
        }
        if let Some(id) = self.command_id {
            map.insert(keys::COMMAND_ID.into(), id.to_string());
        }
        map.insert(keys::OCCURRED_AT.into(), self.occurred_at.to_rfc3339());
        if let Some(key) = &self.idempotency_key {
            map.insert(keys::IDEMPOTENCY_KEY.into(), key.clone());
        }
        if let Some(hash) = &self.request_hash {
            map.insert(keys::REQUEST_HASH.into(), hash.clone());
        }
        map
    }
}
