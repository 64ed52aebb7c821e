//! Replayed states as the audit answers them: the order, its payment and its shipment, each
//! with the stream version and log position it reflects. Shapes follow the read models'
//! documents (money in minor units, addresses, lines) so clients read both alike.

use chrono::{DateTime, Utc};
use domain::order::OrderState;
use domain::payment::PaymentState;
use domain::shipment::ShipmentState;
use infra::event_store::{Position, RecordedEvent, Version};
use projections::models::common::{AddressDoc, MoneyDoc};
use projections::models::orders::OrderLineDoc;
use serde::Serialize;
use utoipa::ToSchema;

/// Where a replay stopped: the last event it applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Reflects {
    /// The stream version reached.
    pub version: Version,
    /// The global position of that version's event.
    pub position: Position,
    /// When that event was recorded.
    pub recorded_at: DateTime<Utc>,
}

impl From<&RecordedEvent> for Reflects {
    fn from(event: &RecordedEvent) -> Self {
        Self {
            version: event.version,
            position: event.position,
            recorded_at: event.recorded_at,
        }
    }
}

/// The order as the `Order` aggregate held it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderSnapshot {
    /// Id.
    pub id: String,
    /// The customer's user id.
    pub customer: String,
    /// The cart checked out, if any.
    pub cart_id: Option<String>,
    /// Status word: `placed`, `stock_reserved`, `payment_authorized`, `paid`, `shipped`,
    /// `delivered`, `rejected`, `cancelled`.
    pub status: String,
    /// Priced lines.
    pub lines: Vec<OrderLineDoc>,
    /// Sum of the line totals.
    pub total: MoneyDoc,
    /// Where to ship.
    pub shipping_address: AddressDoc,
    /// How it is paid.
    pub payment_method: String,
    /// When it was placed (at the edge).
    pub placed_at: DateTime<Utc>,
    /// The payment, once authorized or declined.
    pub payment_id: Option<String>,
    /// The shipment, once shipped.
    pub shipment_id: Option<String>,
    /// Why it was rejected or cancelled.
    pub closing_reason: Option<String>,
}

impl From<OrderState> for OrderSnapshot {
    fn from(s: OrderState) -> Self {
        Self {
            id: s.id.to_string(),
            customer: s.customer.to_string(),
            cart_id: s.cart_id.map(|c| c.to_string()),
            status: s.status.as_str().to_owned(),
            lines: s
                .lines
                .into_iter()
                .map(|l| OrderLineDoc {
                    product_id: l.product_id.to_string(),
                    quantity: l.quantity.get(),
                    unit_price: l.unit_price.into(),
                    line_total: l.line_total.into(),
                })
                .collect(),
            total: s.total.into(),
            shipping_address: s.shipping_address.into(),
            payment_method: s.payment_method.into(),
            placed_at: s.placed_at,
            payment_id: s.payment_id.map(|p| p.to_string()),
            shipment_id: s.shipment_id.map(|p| p.to_string()),
            closing_reason: s.closing_reason.map(Into::into),
        }
    }
}

/// The payment as the `Payment` aggregate held it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PaymentSnapshot {
    /// Id.
    pub id: String,
    /// Status word: `pending`, `authorized`, `captured`, `declined`, `refunded`,
    /// `partially_refunded`, `voided`.
    pub status: String,
    /// What to charge.
    pub amount: MoneyDoc,
    /// Captured so far.
    pub captured: MoneyDoc,
    /// Refunded so far.
    pub refunded: MoneyDoc,
    /// The payment method.
    pub method: String,
    /// The provider's reference, once authorized.
    pub provider_reference: Option<String>,
    /// The payment stream's version and position replayed to.
    #[serde(flatten)]
    pub reflects: Reflects,
}

impl PaymentSnapshot {
    /// A payment's state, replayed to `reflects`.
    pub fn new(s: PaymentState, reflects: Reflects) -> Self {
        Self {
            id: s.id.to_string(),
            status: s.status.as_str().to_owned(),
            amount: s.amount.into(),
            captured: s.captured.into(),
            refunded: s.refunded.into(),
            method: s.method.into(),
            provider_reference: s.provider_reference.map(Into::into),
            reflects,
        }
    }
}

/// The shipment as the `Shipment` aggregate held it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ShipmentSnapshot {
    /// Id.
    pub id: String,
    /// Status word: `pending`, `dispatched`, `delivered`, `failed`, `cancelled`.
    pub status: String,
    /// Where to.
    pub address: AddressDoc,
    /// The carrier of the latest dispatch.
    pub carrier: Option<String>,
    /// Its tracking number.
    pub tracking_number: Option<String>,
    /// The shipment stream's version and position replayed to.
    #[serde(flatten)]
    pub reflects: Reflects,
}

impl ShipmentSnapshot {
    /// A shipment's state, replayed to `reflects`.
    pub fn new(s: ShipmentState, reflects: Reflects) -> Self {
        Self {
            id: s.id.to_string(),
            status: s.status.as_str().to_owned(),
            address: s.address.into(),
            carrier: s.carrier.map(Into::into),
            tracking_number: s.tracking_number.map(Into::into),
            reflects,
        }
    }
}
