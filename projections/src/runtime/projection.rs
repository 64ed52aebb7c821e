//! What a read model is to the runtime: a name, a version, its collections, the documents
//! an event touches, and how an event changes them.

use super::docs::{ApplyError, Docs, Key};
use infra::event_store::RecordedEvent;
use infra::read_store::CollectionSpec;

/// A read model kept by a projector.
pub trait Projection: Send + Sync + 'static {
    /// Stable name, such as `catalog`.
    fn name(&self) -> &'static str;

    /// Version of its documents' shape; a new version is built beside the old one.
    ///
    /// Rebuilds take version numbers too (N+1 beside N), so a shape change must go above the
    /// highest version a deployed store has used (`ecommerce projections status` shows it):
    /// a number a rebuild already took would resume that rebuild's documents, in the old
    /// shape.
    fn version(&self) -> u32 {
        1
    }

    /// Its collections, by logical name with their indexed fields.
    fn collections(&self) -> Vec<(&'static str, Vec<&'static str>)>;

    /// The event types this projection reads; others only move its checkpoint, and are not
    /// even decoded.
    fn event_types(&self) -> Vec<&'static str>;

    /// The documents the event reads or writes, loaded before it is applied. A projection
    /// that learns more keys while applying asks for them with [`ApplyError::Missing`].
    fn keys(&self, event: &RecordedEvent) -> Vec<Key>;

    /// Applies one event to the documents.
    fn apply(&self, event: &RecordedEvent, docs: &mut Docs) -> Result<(), ApplyError>;
}

/// The checkpoint and lease key of a projection version, such as `catalog_v1`.
pub fn key(projection: &dyn Projection) -> String {
    format!("{}_v{}", projection.name(), projection.version())
}

/// The physical name of a collection of a projection version, such as `products_v1`.
pub fn collection_name(collection: &str, version: u32) -> String {
    format!("{collection}_v{version}")
}

/// The physical collection specs of a projection.
pub fn specs(projection: &dyn Projection) -> Vec<CollectionSpec> {
    specs_at(projection, projection.version())
}

/// The physical collection specs of one version of a projection.
pub fn specs_at(projection: &dyn Projection, version: u32) -> Vec<CollectionSpec> {
    projection
        .collections()
        .into_iter()
        .map(|(name, indexed)| CollectionSpec::new(collection_name(name, version), &indexed))
        .collect()
}

/// The aggregate id of an event's stream (`order-<id>` gives `<id>`).
pub fn stream_id(event: &RecordedEvent) -> &str {
    event
        .stream
        .split_once('-')
        .map_or(event.stream.as_str(), |(_, id)| id)
}

/// Decodes a domain event, or reports it broken.
pub fn decode<E: cqrs_es::DomainEvent>(event: &RecordedEvent) -> Result<E, ApplyError> {
    infra::event_store::codec::decode(&event.event_type, event.payload.clone()).map_err(|e| {
        ApplyError::Broken(format!(
            "cannot decode {} at position {}: {e}",
            event.event_type, event.position
        ))
    })
}
