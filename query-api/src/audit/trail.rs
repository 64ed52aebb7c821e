//! An order's audit trail: every event of its order, payment and shipment streams, and the
//! reservation events its products recorded for it, in global order, with their metadata.

use super::AuditError;
use super::streams::{self, OrderStreams};
use chrono::{DateTime, Utc};
use infra::event_store::{EventMetadata, EventStore, Position, RecordedEvent, Version};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

/// One event of an order's history, as stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditEvent {
    /// Global log position; the trail is in this order.
    pub position: Position,
    /// The stream, such as `order-…`, `payment-…`, `shipment-…`, `product-…`.
    pub stream: String,
    /// Version within the stream.
    pub version: Version,
    /// Event id.
    pub event_id: Uuid,
    /// Type name, such as `OrderPlaced` or `StockReserved`.
    pub event_type: String,
    /// Schema version of `payload` (after upcasting old schemas).
    pub schema_version: u32,
    /// When the store committed it (UTC).
    pub recorded_at: DateTime<Utc>,
    /// The event's data.
    #[schema(value_type = Object)]
    pub payload: Value,
    /// Who caused it, when, and as part of what.
    pub metadata: AuditMetadata,
    /// The stream's hash-chain link (hex SHA-256), as `verify` recomputes it.
    pub hash: String,
}

/// An event's metadata: every field the store keeps.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditMetadata {
    /// The acting user's id, or `system:checkout` for the checkout process.
    pub user_id: Option<String>,
    /// The conversation (a request, a checkout) the event belongs to.
    pub correlation_id: Uuid,
    /// The message (event or request) that caused it.
    pub causation_id: Option<Uuid>,
    /// The command that appended it.
    pub command_id: Option<Uuid>,
    /// When the command was received, at the edge.
    pub occurred_at: DateTime<Utc>,
    /// The client's `Idempotency-Key`, if it sent one.
    pub idempotency_key: Option<String>,
    /// The digest of the request that carried the key.
    pub request_hash: Option<String>,
}

impl From<EventMetadata> for AuditMetadata {
    fn from(metadata: EventMetadata) -> Self {
        // Destructured field by field: a field added to the metadata fails to compile here
        // until the audit shows it too.
        let EventMetadata {
            correlation_id,
            causation_id,
            user_id,
            command_id,
            occurred_at,
            idempotency_key,
            request_hash,
        } = metadata;
        Self {
            user_id,
            correlation_id,
            causation_id,
            command_id,
            occurred_at,
            idempotency_key,
            request_hash,
        }
    }
}

impl From<RecordedEvent> for AuditEvent {
    fn from(event: RecordedEvent) -> Self {
        Self {
            position: event.position,
            stream: event.stream,
            version: event.version,
            event_id: event.event_id,
            event_type: event.event_type,
            schema_version: event.schema_version,
            recorded_at: event.recorded_at,
            payload: event.payload,
            metadata: event.metadata.into(),
            hash: event.hash,
        }
    }
}

/// Every event of the order's history, in global order; `order_events` are the order's own,
/// already read.
pub async fn collect(
    store: &dyn EventStore,
    streams: &OrderStreams,
    order_events: Vec<RecordedEvent>,
) -> Result<Vec<RecordedEvent>, AuditError> {
    let mut events = order_events;
    events.extend(store.read_stream(&streams.payment, 1).await?);
    events.extend(store.read_stream(&streams.shipment, 1).await?);
    for product in &streams.products {
        // A product's stream holds every order's reservations; only this order's count.
        let read = store.read_stream(product, 1).await?;
        events.extend(read.into_iter().filter(|e| streams.is_reservation(e)));
    }
    events.sort_by_key(|e| e.position);
    Ok(events)
}

/// The whole trail of the order `id`.
pub async fn trail(store: &dyn EventStore, id: &str) -> Result<Vec<RecordedEvent>, AuditError> {
    let (streams, order_events) = streams::load(store, id).await?;
    collect(store, &streams, order_events).await
}

/// One page of a trail.
#[derive(Debug, Clone)]
pub struct EventPage {
    /// The events, in global order.
    pub items: Vec<AuditEvent>,
    /// The position to continue after, when more events follow.
    pub next_after: Option<Position>,
}

/// Up to `limit` events of the order's trail after position `after` (0: from the start).
pub async fn events(
    store: &dyn EventStore,
    id: &str,
    after: Position,
    limit: usize,
) -> Result<EventPage, AuditError> {
    let all = trail(store, id).await?;
    let mut rest = all.into_iter().filter(|e| e.position > after).peekable();
    let items: Vec<AuditEvent> = rest.by_ref().take(limit).map(AuditEvent::from).collect();
    let next_after = match (rest.peek(), items.last()) {
        (Some(_), Some(last)) => Some(last.position),
        _ => None,
    };
    Ok(EventPage { items, next_after })
}
