//! Inventory for the shop's staff: per product the stock on hand, what orders hold, and
//! what is left to sell; the source of the low-stock report.

use crate::runtime::{ApplyError, Docs, Key, Projection, decode, stream_id};
use domain::product::ProductEvent;
use infra::event_store::RecordedEvent;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The collection.
pub const INVENTORY: &str = "inventory";

/// Units held for one order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Hold {
    /// The order.
    pub order_id: String,
    /// Units.
    pub quantity: u32,
}

/// A product's stock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StockDoc {
    /// Product id.
    pub id: String,
    /// SKU.
    pub sku: String,
    /// Name.
    pub name: String,
    /// Units in the warehouse.
    pub on_hand: u32,
    /// Units held for orders.
    pub reserved: u32,
    /// On hand minus reserved.
    pub available: u32,
    /// The holds, per order.
    pub holds: Vec<Hold>,
    /// `active` or `discontinued`.
    pub status: String,
    /// When it last changed.
    pub updated_at: String,
}

/// The inventory projection.
pub struct Inventory;

impl Projection for Inventory {
    fn name(&self) -> &'static str {
        "inventory"
    }

    fn collections(&self) -> Vec<(&'static str, Vec<&'static str>)> {
        vec![(INVENTORY, vec!["available", "status", "sku"])]
    }

    fn event_types(&self) -> Vec<&'static str> {
        ProductEvent::SCHEMAS
            .iter()
            .map(|(name, _)| *name)
            .collect()
    }

    fn keys(&self, event: &RecordedEvent) -> Vec<Key> {
        vec![(INVENTORY, stream_id(event).to_owned())]
    }

    fn apply(&self, event: &RecordedEvent, docs: &mut Docs) -> Result<(), ApplyError> {
        let id = stream_id(event);
        let at = event.recorded_at.to_rfc3339();
        let event = decode::<ProductEvent>(event)?;
        if let ProductEvent::ProductCreated {
            sku,
            name,
            initial_stock,
            ..
        } = &event
        {
            let doc = StockDoc {
                id: id.to_owned(),
                sku: sku.to_string(),
                name: name.to_string(),
                on_hand: *initial_stock,
                reserved: 0,
                available: *initial_stock,
                holds: Vec::new(),
                status: "active".into(),
                updated_at: at,
            };
            return docs.put(INVENTORY, id, &doc);
        }
        docs.update(INVENTORY, id, |doc: &mut StockDoc| {
            match event {
                ProductEvent::ProductDetailsChanged { name, .. } => doc.name = name.into(),
                ProductEvent::StockAdjusted { on_hand, .. } => doc.on_hand = on_hand,
                ProductEvent::StockReserved {
                    order_id,
                    quantity,
                    reserved,
                } => {
                    doc.holds.push(Hold {
                        order_id: order_id.to_string(),
                        quantity,
                    });
                    doc.reserved = reserved;
                }
                ProductEvent::ReservationReleased {
                    order_id, reserved, ..
                } => {
                    doc.holds.retain(|h| h.order_id != order_id.to_string());
                    doc.reserved = reserved;
                }
                ProductEvent::ReservationCommitted {
                    order_id,
                    on_hand,
                    reserved,
                    ..
                } => {
                    doc.holds.retain(|h| h.order_id != order_id.to_string());
                    doc.on_hand = on_hand;
                    doc.reserved = reserved;
                }
                ProductEvent::ProductDiscontinued { .. } => doc.status = "discontinued".into(),
                ProductEvent::ProductCreated { .. } | ProductEvent::ProductPriceChanged { .. } => {}
            }
            doc.available = doc.on_hand.saturating_sub(doc.reserved);
            doc.updated_at = at;
        })
    }
}
