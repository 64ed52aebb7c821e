//! Event schemas: each event type's current version, and the upcasters that turn payloads
//! stored under an older version into the current one. Stored events are never rewritten;
//! upcasting happens on every read.
//!
//! History kept here:
//! - `ProductCreated` v1 stored the price flat (`price_minor`, `currency`) and the stock as
//!   `stock`; v2 nests the price as [`Money`](crate::values::Money) and names the stock
//!   `initial_stock`.

use serde_json::{Map, Value};
use std::collections::HashMap;
use thiserror::Error;

/// Why a stored payload could not be brought to the current schema.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum UpcastError {
    /// No upcaster leads from this version to the current one.
    #[error("no upcaster for {event_type} from schema v{version}")]
    Missing {
        /// Event type.
        event_type: String,
        /// Stored version.
        version: u32,
    },
    /// The event was written by a newer build than this one.
    #[error("{event_type} schema v{version} is newer than this build knows (v{current})")]
    TooNew {
        /// Event type.
        event_type: String,
        /// Stored version.
        version: u32,
        /// Newest version this build knows.
        current: u32,
    },
    /// The old payload did not have the shape its version promises.
    #[error("{event_type} v{version} payload is malformed: {reason}")]
    Malformed {
        /// Event type.
        event_type: String,
        /// Stored version.
        version: u32,
        /// What was wrong.
        reason: String,
    },
}

/// Turns a payload of `event_type` at `from_version` into `from_version + 1`.
pub type UpcastFn = fn(Map<String, Value>) -> Result<Map<String, Value>, String>;

/// Every domain event type with its current schema version, per aggregate.
pub const DOMAIN_SCHEMAS: &[&[(&str, u32)]] = &[
    crate::product::ProductEvent::SCHEMAS,
    crate::user::UserEvent::SCHEMAS,
    crate::cart::CartEvent::SCHEMAS,
    crate::order::OrderEvent::SCHEMAS,
    crate::payment::PaymentEvent::SCHEMAS,
    crate::shipment::ShipmentEvent::SCHEMAS,
    crate::claim::ClaimEvent::SCHEMAS,
];

/// The registry of current versions and one-step upcasters.
#[derive(Debug, Clone, Default)]
pub struct Upcasters {
    current: HashMap<&'static str, u32>,
    steps: HashMap<(&'static str, u32), UpcastFn>,
}

impl Upcasters {
    /// Every event type of the domain with the upcasters of its history.
    pub fn domain() -> Self {
        let mut upcasters = Self::default();
        for (event_type, version) in DOMAIN_SCHEMAS.iter().copied().flatten() {
            upcasters.current.insert(event_type, *version);
        }
        upcasters.register("ProductCreated", 1, product_created_v1_to_v2);
        upcasters
    }

    /// Adds a one-step upcaster.
    pub fn register(&mut self, event_type: &'static str, from_version: u32, step: UpcastFn) {
        self.steps.insert((event_type, from_version), step);
    }

    /// Declares the current version of an event type (for types outside the domain).
    pub fn declare(&mut self, event_type: &'static str, current: u32) {
        self.current.insert(event_type, current);
    }

    /// The current version of a type, if the registry knows it.
    pub fn current_version(&self, event_type: &str) -> Option<u32> {
        self.current.get(event_type).copied()
    }

    /// Brings a payload to the current version of its type; unknown types pass unchanged.
    pub fn upcast(
        &self,
        event_type: &str,
        version: u32,
        payload: Value,
    ) -> Result<(u32, Value), UpcastError> {
        let Some(current) = self.current_version(event_type) else {
            return Ok((version, payload));
        };
        if version > current {
            return Err(UpcastError::TooNew {
                event_type: event_type.to_owned(),
                version,
                current,
            });
        }
        if version == current {
            return Ok((version, payload));
        }
        let malformed = |version, reason: String| UpcastError::Malformed {
            event_type: event_type.to_owned(),
            version,
            reason,
        };
        let Value::Object(mut object) = payload else {
            return Err(malformed(version, "not a JSON object".to_owned()));
        };
        let mut at = version;
        while at < current {
            let step = self
                .steps
                .get(&(event_type, at))
                .ok_or_else(|| UpcastError::Missing {
                    event_type: event_type.to_owned(),
                    version: at,
                })?;
            object = step(object).map_err(|reason| malformed(at, reason))?;
            at += 1;
        }
        Ok((at, Value::Object(object)))
    }
}

fn take(object: &mut Map<String, Value>, field: &str) -> Result<Value, String> {
    object
        .remove(field)
        .ok_or_else(|| format!("missing {field}"))
}

/// v1 `{price_minor, currency, stock}` → v2 `{price: {amount, currency}, initial_stock}`.
fn product_created_v1_to_v2(mut v1: Map<String, Value>) -> Result<Map<String, Value>, String> {
    let amount = take(&mut v1, "price_minor")?;
    let currency = take(&mut v1, "currency")?;
    let stock = take(&mut v1, "stock")?;
    v1.insert(
        "price".to_owned(),
        serde_json::json!({ "amount": amount, "currency": currency }),
    );
    v1.insert("initial_stock".to_owned(), stock);
    Ok(v1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn v1() -> Value {
        json!({
            "product_id": "00000000-0000-0000-0000-000000009d01",
            "sku": "MUG-1", "name": "Mug", "description": "", "category": "kitchen",
            "price_minor": 1200, "currency": "EUR", "stock": 5
        })
    }

    #[test]
    fn product_created_v1_becomes_v2() {
        let (version, payload) = Upcasters::domain()
            .upcast("ProductCreated", 1, v1())
            .unwrap();
        assert_eq!(version, 2);
        assert_eq!(payload["price"], json!({"amount": 1200, "currency": "EUR"}));
        assert_eq!(payload["initial_stock"], json!(5));
        assert!(payload.get("price_minor").is_none());
    }

    #[test]
    fn current_payloads_pass_unchanged() {
        let payload = json!({"reason": "x"});
        assert_eq!(
            Upcasters::domain().upcast("ProductDiscontinued", 1, payload.clone()),
            Ok((1, payload))
        );
    }

    #[test]
    fn a_newer_version_than_known_is_an_error() {
        assert!(matches!(
            Upcasters::domain().upcast("ProductCreated", 3, v1()),
            Err(UpcastError::TooNew { current: 2, .. })
        ));
    }

    #[test]
    fn a_malformed_old_payload_is_an_error_not_a_panic() {
        assert!(matches!(
            Upcasters::domain().upcast("ProductCreated", 1, json!({"sku": "x"})),
            Err(UpcastError::Malformed { .. })
        ));
        assert!(matches!(
            Upcasters::domain().upcast("ProductCreated", 1, json!([1])),
            Err(UpcastError::Malformed { .. })
        ));
    }

    #[test]
    fn event_type_names_are_unique_across_aggregates() {
        let all: Vec<&str> = DOMAIN_SCHEMAS
            .iter()
            .flat_map(|s| s.iter().map(|(name, _)| *name))
            .collect();
        let unique: std::collections::HashSet<_> = all.iter().collect();
        assert_eq!(unique.len(), all.len());
        assert_eq!(Upcasters::domain().current.len(), all.len());
    }
}
