//! Products with their inventory: catalog details, price, stock on hand and reservations.
//!
//! Available stock is on hand minus reserved. Reservations are held per order, so a retried
//! reservation for the same order is a no-op, and the stock a shipped order takes is committed
//! from its reservation.

mod aggregate;
#[cfg(test)]
mod tests;

pub use aggregate::{MAX_STOCK, Product, ProductState};

use crate::values::{Category, Description, Money, OrderId, ProductId, ProductName, Reason, Sku};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// What may be asked of a product.
#[derive(Debug, Clone, PartialEq)]
pub enum ProductCommand {
    /// Add a product to the catalog.
    Create {
        /// New id, created at the edge.
        product_id: ProductId,
        /// Stock-keeping unit.
        sku: Sku,
        /// Display name.
        name: ProductName,
        /// Description.
        description: Description,
        /// Catalog category.
        category: Category,
        /// Unit price.
        price: Money,
        /// Units on hand at creation.
        initial_stock: u32,
    },
    /// Change name, description or category; `None` keeps the current value.
    ChangeDetails {
        /// New name.
        name: Option<ProductName>,
        /// New description.
        description: Option<Description>,
        /// New category.
        category: Option<Category>,
    },
    /// Change the unit price (same currency).
    ChangePrice {
        /// New price.
        price: Money,
    },
    /// Restock (positive) or correct (negative) the stock on hand.
    AdjustStock {
        /// Units to add or remove.
        delta: i64,
        /// Why, for the audit trail.
        reason: Reason,
    },
    /// Hold units for an order.
    Reserve {
        /// The order.
        order_id: OrderId,
        /// Units.
        quantity: crate::values::Quantity,
    },
    /// Give an order's held units back.
    ReleaseReservation {
        /// The order.
        order_id: OrderId,
        /// Why.
        reason: Reason,
    },
    /// The order shipped: its held units leave the stock.
    CommitReservation {
        /// The order.
        order_id: OrderId,
    },
    /// Stop selling.
    Discontinue {
        /// Why.
        reason: Reason,
    },
}

/// What happened to a product. Stock events carry the resulting levels, so read models set
/// them instead of recomputing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ProductEvent {
    /// Schema 2: price as [`Money`]; schema 1 had flat `price_minor`/`currency` and `stock`.
    ProductCreated {
        /// Id.
        product_id: ProductId,
        /// SKU.
        sku: Sku,
        /// Name.
        name: ProductName,
        /// Description.
        description: Description,
        /// Category.
        category: Category,
        /// Unit price.
        price: Money,
        /// Units on hand.
        initial_stock: u32,
    },
    /// Details after the change.
    ProductDetailsChanged {
        /// Name.
        name: ProductName,
        /// Description.
        description: Description,
        /// Category.
        category: Category,
    },
    /// The new unit price.
    ProductPriceChanged {
        /// Price before.
        previous: Money,
        /// Price now.
        price: Money,
    },
    /// Stock on hand was corrected.
    StockAdjusted {
        /// Units added (or removed when negative).
        delta: i64,
        /// Why.
        reason: Reason,
        /// On hand after.
        on_hand: u32,
    },
    /// Units are held for an order.
    StockReserved {
        /// The order.
        order_id: OrderId,
        /// Units held.
        quantity: u32,
        /// Total reserved after.
        reserved: u32,
    },
    /// An order's held units are free again.
    ReservationReleased {
        /// The order.
        order_id: OrderId,
        /// Units released.
        quantity: u32,
        /// Why.
        reason: Reason,
        /// Total reserved after.
        reserved: u32,
    },
    /// An order's held units left with its shipment.
    ReservationCommitted {
        /// The order.
        order_id: OrderId,
        /// Units taken.
        quantity: u32,
        /// On hand after.
        on_hand: u32,
        /// Total reserved after.
        reserved: u32,
    },
    /// No longer sold.
    ProductDiscontinued {
        /// Why.
        reason: Reason,
    },
}

crate::domain_event!(ProductEvent {
    ProductCreated => 2,
    ProductDetailsChanged => 1,
    ProductPriceChanged => 1,
    StockAdjusted => 1,
    StockReserved => 1,
    ReservationReleased => 1,
    ReservationCommitted => 1,
    ProductDiscontinued => 1,
});

/// Why a product command was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProductError {
    /// No such product.
    #[error("product not found")]
    NotFound,
    /// Created twice.
    #[error("product already exists")]
    AlreadyExists,
    /// Discontinued products take no price, detail or reservation changes.
    #[error("product is discontinued")]
    Discontinued,
    /// A product keeps the currency it was created with.
    #[error("price currency cannot change from {from} to {to}")]
    CurrencyChange {
        /// Current currency.
        from: crate::values::Currency,
        /// Requested currency.
        to: crate::values::Currency,
    },
    /// Stock counts are bounded.
    #[error("stock must stay between 0 and {MAX_STOCK}, and a change must not be zero")]
    StockOutOfRange,
    /// A correction may not take away units that orders hold.
    #[error("stock on hand would be {would_be}, below the {reserved} units reserved")]
    BelowReserved {
        /// On hand after the change.
        would_be: i64,
        /// Units reserved now.
        reserved: u32,
    },
    /// Not enough free units.
    #[error("only {available} available, {requested} requested")]
    InsufficientStock {
        /// Asked for.
        requested: u32,
        /// Free now.
        available: u32,
    },
    /// The order already holds a different quantity.
    #[error("order {order_id} already holds {held} units, not {requested}")]
    ReservationMismatch {
        /// The order.
        order_id: OrderId,
        /// Held now.
        held: u32,
        /// Asked for.
        requested: u32,
    },
    /// The order holds nothing to commit.
    #[error("order {0} holds no reservation")]
    NoReservation(OrderId),
}

impl crate::Refusal for ProductError {
    fn kind(&self) -> crate::RefusalKind {
        match self {
            ProductError::NotFound => crate::RefusalKind::NotFound,
            ProductError::AlreadyExists => crate::RefusalKind::AlreadyExists,
            _ => crate::RefusalKind::Rejected,
        }
    }
}
