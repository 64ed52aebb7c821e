//! Shopping carts: a user's lines of products and quantities, until checkout.
//!
//! Lines keep the order items were added. Checkout takes lines priced at the edge and
//! refuses them unless they match the cart exactly, so a cart that changed after the prices
//! were looked up cannot check out stale lines. A checked-out cart is final.

mod aggregate;
#[cfg(test)]
mod tests;

pub use aggregate::{Cart, CartLine, CartState, MAX_LINES};

use crate::values::{
    Address, CartId, Money, MoneyError, OrderId, OrderLine, PaymentMethod, ProductId, Quantity,
    UserId,
};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// What may be asked of a cart.
#[derive(Debug, Clone, PartialEq)]
pub enum CartCommand {
    /// Start an empty cart.
    Open {
        /// New id, created at the edge.
        cart_id: CartId,
        /// The user it belongs to.
        owner: UserId,
    },
    /// Add units of a product, to its line if there is one.
    AddItem {
        /// The product.
        product_id: ProductId,
        /// Units to add.
        quantity: Quantity,
    },
    /// Set a line's quantity: 0 removes the line, a missing line is created.
    SetItemQuantity {
        /// The product.
        product_id: ProductId,
        /// Units on the line after.
        quantity: u32,
    },
    /// Remove a product's line.
    RemoveItem {
        /// The product.
        product_id: ProductId,
    },
    /// Turn the cart into an order.
    CheckOut {
        /// New order id, created at the edge.
        order_id: OrderId,
        /// The cart's lines priced at the edge; must match the cart's lines.
        lines: Vec<OrderLine>,
        /// Where to ship.
        shipping_address: Address,
        /// How to pay.
        payment_method: PaymentMethod,
    },
}

/// What happened to a cart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[expect(
    clippy::large_enum_variant,
    reason = "events are short-lived and serialized; boxing would only add noise"
)]
pub enum CartEvent {
    /// An empty cart was started.
    CartOpened {
        /// Id.
        cart_id: CartId,
        /// Owner.
        owner: UserId,
    },
    /// Units were added to a product's line.
    CartItemAdded {
        /// The product.
        product_id: ProductId,
        /// Units added.
        quantity: Quantity,
        /// The line's units after.
        line_quantity: Quantity,
    },
    /// A line's quantity was set.
    CartItemQuantitySet {
        /// The product.
        product_id: ProductId,
        /// The line's units after.
        quantity: Quantity,
    },
    /// A product's line was removed.
    CartItemRemoved {
        /// The product.
        product_id: ProductId,
    },
    /// The cart became an order.
    CartCheckedOut {
        /// The new order.
        order_id: OrderId,
        /// Owner.
        owner: UserId,
        /// Priced lines.
        lines: Vec<OrderLine>,
        /// Sum of the line totals.
        total: Money,
        /// Where to ship.
        shipping_address: Address,
        /// How to pay.
        payment_method: PaymentMethod,
    },
}

crate::domain_event!(CartEvent {
    CartOpened => 1,
    CartItemAdded => 1,
    CartItemQuantitySet => 1,
    CartItemRemoved => 1,
    CartCheckedOut => 1,
});

/// Why a cart command was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CartError {
    /// No such cart.
    #[error("cart not found")]
    NotFound,
    /// Opened twice.
    #[error("cart already exists")]
    AlreadyExists,
    /// Checked-out carts accept no command.
    #[error("cart is already checked out")]
    CheckedOut,
    /// Nothing to check out.
    #[error("cart is empty")]
    EmptyCart,
    /// The product has no line in the cart.
    #[error("product {0} is not in the cart")]
    LineNotFound(ProductId),
    /// A cart holds at most [`MAX_LINES`] lines.
    #[error("a cart holds at most {MAX_LINES} lines")]
    TooManyLines,
    /// A line holds at most [`Quantity::MAX`] units.
    #[error("a line holds at most {} units", Quantity::MAX)]
    QuantityTooLarge,
    /// The priced lines are not the cart's lines.
    #[error("the cart changed; price its current lines again")]
    LinesChanged,
    /// The lines have no total.
    #[error(transparent)]
    Money(#[from] MoneyError),
}

impl crate::Refusal for CartError {
    fn kind(&self) -> crate::RefusalKind {
        match self {
            CartError::NotFound => crate::RefusalKind::NotFound,
            CartError::AlreadyExists => crate::RefusalKind::AlreadyExists,
            _ => crate::RefusalKind::Rejected,
        }
    }
}
