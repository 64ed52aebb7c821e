//! Orders: what a customer sees of their orders and what admins list, with the status
//! progression. Payment and shipment states are joined at query time from their own read
//! models (by order id).

use super::common::{AddressDoc, MoneyDoc};
use crate::runtime::{ApplyError, Docs, Key, Projection, decode, stream_id};
use domain::order::{OrderEvent, OrderStatus};
use infra::event_store::RecordedEvent;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The collection.
pub const ORDERS: &str = "orders";

/// An order line with the price captured at checkout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OrderLineDoc {
    /// The product.
    pub product_id: String,
    /// Units.
    pub quantity: u32,
    /// Price of one unit.
    pub unit_price: MoneyDoc,
    /// `unit_price × quantity`.
    pub line_total: MoneyDoc,
}

/// One step of the order's progression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StatusChange {
    /// The status reached.
    pub status: String,
    /// When.
    pub at: String,
    /// Why, for rejections and cancellations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// An order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OrderDoc {
    /// Id.
    pub id: String,
    /// The customer.
    pub customer: String,
    /// The cart it came from.
    pub cart_id: Option<String>,
    /// Status word.
    pub status: String,
    /// Lines.
    pub lines: Vec<OrderLineDoc>,
    /// Total.
    pub total: MoneyDoc,
    /// Where it goes.
    pub shipping_address: AddressDoc,
    /// How it is paid.
    pub payment_method: String,
    /// When it was placed.
    pub placed_at: String,
    /// When it last changed.
    pub updated_at: String,
    /// The payment, once authorized or declined.
    pub payment_id: Option<String>,
    /// The shipment, once shipped.
    pub shipment_id: Option<String>,
    /// Why it was rejected or cancelled.
    pub reason: Option<String>,
    /// Every status it went through, in order.
    pub history: Vec<StatusChange>,
}

/// The orders projection.
pub struct Orders;

impl Projection for Orders {
    fn name(&self) -> &'static str {
        "orders"
    }

    fn collections(&self) -> Vec<(&'static str, Vec<&'static str>)> {
        vec![(ORDERS, vec!["customer", "status", "placed_at"])]
    }

    fn event_types(&self) -> Vec<&'static str> {
        OrderEvent::SCHEMAS.iter().map(|(name, _)| *name).collect()
    }

    fn keys(&self, event: &RecordedEvent) -> Vec<Key> {
        vec![(ORDERS, stream_id(event).to_owned())]
    }

    fn apply(&self, event: &RecordedEvent, docs: &mut Docs) -> Result<(), ApplyError> {
        let id = stream_id(event);
        let at = event.recorded_at.to_rfc3339();
        let event = decode::<OrderEvent>(event)?;
        if let OrderEvent::OrderPlaced {
            customer,
            cart_id,
            lines,
            total,
            shipping_address,
            payment_method,
            placed_at,
            ..
        } = event
        {
            let status = OrderStatus::Placed.as_str().to_owned();
            let doc = OrderDoc {
                id: id.to_owned(),
                customer: customer.to_string(),
                cart_id: cart_id.map(|c| c.to_string()),
                status: status.clone(),
                lines: lines
                    .into_iter()
                    .map(|l| OrderLineDoc {
                        product_id: l.product_id.to_string(),
                        quantity: l.quantity.get(),
                        unit_price: l.unit_price.into(),
                        line_total: l.line_total.into(),
                    })
                    .collect(),
                total: total.into(),
                shipping_address: shipping_address.into(),
                payment_method: payment_method.into(),
                placed_at: placed_at.to_rfc3339(),
                updated_at: at.clone(),
                payment_id: None,
                shipment_id: None,
                reason: None,
                history: vec![StatusChange {
                    status,
                    at,
                    reason: None,
                }],
            };
            return docs.put(ORDERS, id, &doc);
        }
        docs.update(ORDERS, id, |doc: &mut OrderDoc| {
            let (status, reason) = match event {
                OrderEvent::OrderStockReserved {} => (OrderStatus::StockReserved, None),
                OrderEvent::OrderRejected { reason } => {
                    (OrderStatus::Rejected, Some(reason.to_string()))
                }
                OrderEvent::OrderPaymentAuthorized { payment_id } => {
                    doc.payment_id = Some(payment_id.to_string());
                    (OrderStatus::PaymentAuthorized, None)
                }
                OrderEvent::OrderPaymentDeclined { payment_id, reason } => {
                    doc.payment_id = Some(payment_id.to_string());
                    (OrderStatus::Rejected, Some(reason.to_string()))
                }
                OrderEvent::OrderPaid { .. } => (OrderStatus::Paid, None),
                OrderEvent::OrderShipped { shipment_id } => {
                    doc.shipment_id = Some(shipment_id.to_string());
                    (OrderStatus::Shipped, None)
                }
                OrderEvent::OrderDelivered {} => (OrderStatus::Delivered, None),
                OrderEvent::OrderCancelled { reason, .. } => {
                    (OrderStatus::Cancelled, Some(reason.to_string()))
                }
                OrderEvent::OrderPlaced { .. } => return,
            };
            doc.status = status.as_str().to_owned();
            if reason.is_some() {
                doc.reason.clone_from(&reason);
            }
            doc.history.push(StatusChange {
                status: doc.status.clone(),
                at: at.clone(),
                reason,
            });
            doc.updated_at = at;
        })
    }
}
