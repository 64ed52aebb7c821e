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

#[cfg(test)]
mod tests {
    use super::*;
    use domain::product::ProductEvent;
    use domain::values::{OrderId, Reason};
    use serde::{Deserialize, Serialize};

    #[test]
    fn an_event_splits_into_type_version_and_payload_and_back() {
        let event = ProductEvent::ReservationReleased {
            order_id: OrderId::from_uuid(uuid::Uuid::from_u128(7)),
            quantity: 2,
            reason: Reason::parse("cancelled").unwrap(),
            reserved: 0,
        };
        let (event_type, version, payload) = encode(&event).unwrap();
        assert_eq!((event_type.as_str(), version), ("ReservationReleased", 1));
        assert_eq!(payload["quantity"], 2);
        assert_eq!(decode::<ProductEvent>(&event_type, payload).unwrap(), event);
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    enum Renamed {
        #[serde(rename = "Other")]
        Thing { n: u32 },
    }

    impl DomainEvent for Renamed {
        fn event_type(&self) -> String {
            "Thing".into()
        }
        fn event_version(&self) -> String {
            match self {
                Renamed::Thing { n: 0 } => "one".into(),
                Renamed::Thing { .. } => "1".into(),
            }
        }
    }

    #[test]
    fn a_type_that_disagrees_with_its_tag_or_a_bad_version_is_refused() {
        assert!(matches!(
            encode(&Renamed::Thing { n: 1 }),
            Err(CodecError::TypeMismatch { .. })
        ));
        assert!(matches!(
            encode(&Renamed::Thing { n: 0 }),
            Err(CodecError::Version(_))
        ));
    }
}
