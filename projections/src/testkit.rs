//! Helpers for tests of read models: domain events as recorded events, a projection run in
//! memory the way the projector runs it on an empty store, and every document of a stored
//! projection version (to compare a live model with a rebuilt one).

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

/// Every document of every collection of `version` of a projection, by logical collection
/// and id.
pub async fn dump(
    read: &dyn infra::read_store::ReadStore,
    projection: &dyn Projection,
    version: u32,
) -> Result<std::collections::BTreeMap<(String, String), Value>, infra::read_store::ReadStoreError>
{
    let mut all = std::collections::BTreeMap::new();
    for (collection, _) in projection.collections() {
        let name = crate::runtime::collection_name(collection, version);
        let mut query = infra::read_store::Query::all(&name, 500);
        loop {
            let page = read.query(&query).await?;
            for item in page.items {
                let id = item["id"]
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| item.to_string());
                all.insert((collection.to_owned(), id), item);
            }
            match page.next_cursor {
                Some(c) => query.after = Some(c),
                None => break,
            }
        }
    }
    Ok(all)
}
