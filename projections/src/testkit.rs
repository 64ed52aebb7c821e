//! Helpers for tests of read models: domain events as recorded events, and a projection run
//! in memory the way the projector runs it on an empty store.

use crate::runtime::{ApplyError, Docs, Key, Projection};
use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use infra::event_store::{EventMetadata, RecordedEvent};
use serde_json::Value;
use std::collections::HashMap;

/// A domain event as the store would hand it out.
pub fn recorded<E: DomainEvent>(
    position: u64,
    stream: &str,
    event: &E,
    at: DateTime<Utc>,
) -> RecordedEvent {
    let (event_type, schema_version, payload) =
        infra::event_store::codec::encode(event).expect("events encode");
    RecordedEvent {
        position,
        stream: stream.to_owned(),
        version: position,
        event_id: uuid::Uuid::now_v7(),
        event_type,
        schema_version,
        payload,
        metadata: EventMetadata::new(at),
        recorded_at: at,
        hash: String::new(),
    }
}

/// Applies `events` to an empty store and returns every document by (collection, id).
pub fn run(projection: &dyn Projection, events: &[RecordedEvent]) -> HashMap<Key, Value> {
    let mut docs = Docs::default();
    let types = projection.event_types();
    for event in events
        .iter()
        .filter(|e| types.contains(&e.event_type.as_str()))
    {
        for key in projection.keys(event) {
            if !docs.has(&key) {
                docs.load(key, None, 0);
            }
        }
        loop {
            docs.begin(event.position);
            match projection.apply(event, &mut docs) {
                Ok(()) => {
                    docs.commit();
                    break;
                }
                Err(ApplyError::Missing(keys)) => {
                    docs.rollback();
                    for key in keys {
                        docs.load(key, None, 0);
                    }
                }
                Err(ApplyError::Broken(e)) => panic!("broken at {}: {e}", event.position),
            }
        }
    }
    docs.changes()
        .filter_map(|(k, body, _)| body.map(|b| (k.clone(), b.clone())))
        .collect()
}
