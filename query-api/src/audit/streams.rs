//! Which streams hold an order's history: `order-{id}`, the payment and shipment the checkout
//! derives from the order id (`payment_of`, `shipment_of`), and the `product-{id}` streams of
//! its lines, where its stock reservations are.

use super::AuditError;
use cqrs_es::Aggregate;
use domain::order::{Order, OrderEvent, payment_of, shipment_of};
use domain::payment::Payment;
use domain::product::Product;
use domain::shipment::Shipment;
use domain::values::OrderId;
use infra::StoreError;
use infra::event_store::aggregates::stream_name;
use infra::event_store::{EventStore, RecordedEvent, codec};

/// The product events that hold, release or commit stock for an order; each names the order
/// in its payload's `order_id`.
pub const RESERVATION_EVENTS: &[&str] = &[
    "StockReserved",
    "ReservationReleased",
    "ReservationCommitted",
];

/// The streams of one order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderStreams {
    /// The order.
    pub id: OrderId,
    /// `order-{id}`.
    pub order: String,
    /// `payment-{payment_of(id)}`; may not exist (yet).
    pub payment: String,
    /// `shipment-{shipment_of(id)}`; may not exist (yet).
    pub shipment: String,
    /// `product-{id}` of each product on the order's lines, once each, in line order.
    pub products: Vec<String>,
}

impl OrderStreams {
    /// The streams of `id`; no products until [`OrderStreams::products_of`] fills them.
    pub fn new(id: OrderId) -> Self {
        Self {
            id,
            order: stream_name::<Order>(&id.to_string()),
            payment: stream_name::<Payment>(&payment_of(id).to_string()),
            shipment: stream_name::<Shipment>(&shipment_of(id).to_string()),
            products: Vec::new(),
        }
    }

    /// The product streams of the lines of `placed`, the order's `OrderPlaced` event.
    pub fn products_of(placed: &RecordedEvent) -> Result<Vec<String>, AuditError> {
        let mut products: Vec<String> = Vec::new();
        if let OrderEvent::OrderPlaced { lines, .. } = decode::<Order>(placed)? {
            for line in lines {
                let stream = stream_name::<Product>(&line.product_id.to_string());
                if !products.contains(&stream) {
                    products.push(stream);
                }
            }
        }
        Ok(products)
    }

    /// True when `event`, read from one of [`OrderStreams::products`], is a reservation
    /// event of this order.
    pub fn is_reservation(&self, event: &RecordedEvent) -> bool {
        RESERVATION_EVENTS.contains(&event.event_type.as_str())
            && event.payload.get("order_id").and_then(|v| v.as_str())
                == Some(self.id.to_string().as_str())
    }
}

/// Parses an order id: anything but a UUID names no order.
pub fn order_id(raw: &str) -> Result<OrderId, AuditError> {
    raw.parse().map_err(|_| AuditError::NotFound)
}

/// The order's streams and its own events; [`AuditError::NotFound`] when it has none.
pub async fn load(
    store: &dyn EventStore,
    raw_id: &str,
) -> Result<(OrderStreams, Vec<RecordedEvent>), AuditError> {
    let id = order_id(raw_id)?;
    let events = store
        .read_stream(&stream_name::<Order>(&id.to_string()), 1)
        .await?;
    let Some(placed) = events.first() else {
        return Err(AuditError::NotFound);
    };
    let streams = OrderStreams {
        products: OrderStreams::products_of(placed)?,
        ..OrderStreams::new(id)
    };
    Ok((streams, events))
}

/// Decodes a stored event into `A`'s event type; a payload that does not decode is corrupt
/// data, not a client error.
pub fn decode<A: Aggregate>(event: &RecordedEvent) -> Result<A::Event, AuditError> {
    codec::decode::<A::Event>(&event.event_type, event.payload.clone()).map_err(|e| {
        AuditError::Store(StoreError::Corrupt {
            position: event.position,
            reason: format!("{} does not decode: {e}", event.event_type),
        })
    })
}
