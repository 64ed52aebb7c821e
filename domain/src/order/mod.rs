//! Orders: placed from a checkout, then driven by the saga through stock, payment and
//! shipping until delivered, or closed early by a rejection or a cancellation.
//!
//! Every transition is idempotent: asking for the status the order is already in records
//! nothing, so a retried saga step is harmless. [`payment_of`] and [`shipment_of`] name the
//! payment and shipment an order gets.

mod aggregate;
mod related;
#[cfg(test)]
mod tests;

pub use aggregate::{Order, OrderState};
pub use related::{CHECKOUT_NAMESPACE, payment_of, shipment_of};

use crate::values::{
    Address, CartId, Money, MoneyError, OrderId, OrderLine, PaymentId, PaymentMethod, Reason,
    ShipmentId, UserId,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Where an order is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Placed, stock not yet reserved.
    Placed,
    /// Every line's stock is held.
    StockReserved,
    /// The payment provider authorized the payment.
    PaymentAuthorized,
    /// The payment was captured.
    Paid,
    /// Handed to the carrier.
    Shipped,
    /// Arrived.
    Delivered,
    /// Refused by the shop: out of stock or payment declined.
    Rejected,
    /// Cancelled before shipping.
    Cancelled,
}

impl OrderStatus {
    /// The wire word.
    pub const fn as_str(&self) -> &'static str {
        match self {
            OrderStatus::Placed => "placed",
            OrderStatus::StockReserved => "stock_reserved",
            OrderStatus::PaymentAuthorized => "payment_authorized",
            OrderStatus::Paid => "paid",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Rejected => "rejected",
            OrderStatus::Cancelled => "cancelled",
        }
    }
}

/// What may be asked of an order.
#[derive(Debug, Clone, PartialEq)]
#[expect(
    clippy::large_enum_variant,
    reason = "placing carries the whole order once; boxing would only burden every match"
)]
pub enum OrderCommand {
    /// Place an order from priced lines.
    Place {
        /// New id, created at the edge.
        order_id: OrderId,
        /// Who buys.
        customer: UserId,
        /// The cart checked out, if any.
        cart_id: Option<CartId>,
        /// Priced lines; at least one, all in one currency.
        lines: Vec<OrderLine>,
        /// Where to ship.
        shipping_address: Address,
        /// How to pay.
        payment_method: PaymentMethod,
        /// When it was placed.
        placed_at: DateTime<Utc>,
    },
    /// Every line's stock is held.
    MarkStockReserved {},
    /// Refuse the order, for example when stock is short.
    Reject {
        /// Why.
        reason: Reason,
    },
    /// The payment was authorized.
    AuthorizePayment {
        /// The payment.
        payment_id: PaymentId,
    },
    /// The payment was declined; this rejects the order.
    DeclinePayment {
        /// The payment.
        payment_id: PaymentId,
        /// Why the provider declined.
        reason: Reason,
    },
    /// The authorized payment was captured.
    MarkPaid {
        /// The payment; must be the authorized one.
        payment_id: PaymentId,
    },
    /// The order left with a shipment.
    MarkShipped {
        /// The shipment.
        shipment_id: ShipmentId,
    },
    /// The shipment arrived.
    MarkDelivered {},
    /// Cancel before shipping.
    Cancel {
        /// Why.
        reason: Reason,
    },
    /// An admin's cancel (the role is checked at the edge): like [`OrderCommand::Cancel`],
    /// and also while a parcel is on its way, until delivery. The payment is refunded; the
    /// parcel's return is a stock correction of its own.
    AdminCancel {
        /// Why.
        reason: Reason,
    },
    /// Cancel an order whose payment did not complete in time: refused once it is paid, so an
    /// expiry that races the capture never cancels (and refunds) a paid order.
    Expire {
        /// Why.
        reason: Reason,
    },
}

/// What happened to an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[expect(
    clippy::large_enum_variant,
    reason = "placing carries the whole order once; boxing would only burden every match"
)]
pub enum OrderEvent {
    /// An order was placed; `total` is the sum of the line totals.
    OrderPlaced {
        /// Id.
        order_id: OrderId,
        /// Who buys.
        customer: UserId,
        /// The cart checked out, if any.
        cart_id: Option<CartId>,
        /// Priced lines.
        lines: Vec<OrderLine>,
        /// Sum of the line totals.
        total: Money,
        /// Where to ship.
        shipping_address: Address,
        /// How to pay.
        payment_method: PaymentMethod,
        /// When it was placed.
        placed_at: DateTime<Utc>,
    },
    /// Every line's stock is held.
    OrderStockReserved {},
    /// The order was refused.
    OrderRejected {
        /// Why.
        reason: Reason,
    },
    /// The payment was authorized.
    OrderPaymentAuthorized {
        /// The payment.
        payment_id: PaymentId,
    },
    /// The payment was declined and the order is rejected.
    OrderPaymentDeclined {
        /// The payment.
        payment_id: PaymentId,
        /// Why.
        reason: Reason,
    },
    /// The payment was captured.
    OrderPaid {
        /// The payment.
        payment_id: PaymentId,
    },
    /// The order left with a shipment.
    OrderShipped {
        /// The shipment.
        shipment_id: ShipmentId,
    },
    /// The shipment arrived.
    OrderDelivered {},
    /// The order was cancelled; `previous_status` tells what to compensate.
    OrderCancelled {
        /// Why.
        reason: Reason,
        /// The status it was cancelled from.
        previous_status: OrderStatus,
    },
}

crate::domain_event!(OrderEvent {
    OrderPlaced => 1,
    OrderStockReserved => 1,
    OrderRejected => 1,
    OrderPaymentAuthorized => 1,
    OrderPaymentDeclined => 1,
    OrderPaid => 1,
    OrderShipped => 1,
    OrderDelivered => 1,
    OrderCancelled => 1,
});

/// Why an order command was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OrderError {
    /// No such order.
    #[error("order not found")]
    NotFound,
    /// Placed twice.
    #[error("order already exists")]
    AlreadyExists,
    /// An order needs at least one line.
    #[error("an order needs at least one line")]
    EmptyOrder,
    /// The lines have no total: mixed currencies or overflow.
    #[error("order total: {0}")]
    Money(#[from] MoneyError),
    /// The command does not apply in the current status.
    #[error("cannot {action} an order that is {}", .status.as_str())]
    InvalidTransition {
        /// Status now.
        status: OrderStatus,
        /// What was asked.
        action: &'static str,
    },
    /// Shipped or delivered orders are returned, not cancelled.
    #[error("an order cannot be cancelled once shipped")]
    CannotCancelAfterShipping,
    /// The payment is not the order's payment.
    #[error("the payment does not match the order's payment")]
    PaymentMismatch,
}

impl crate::Refusal for OrderError {
    fn kind(&self) -> crate::RefusalKind {
        match self {
            OrderError::NotFound => crate::RefusalKind::NotFound,
            OrderError::AlreadyExists => crate::RefusalKind::AlreadyExists,
            _ => crate::RefusalKind::Rejected,
        }
    }
}
