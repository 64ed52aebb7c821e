//! The product's state, its decisions and their effect.

use super::{ProductCommand, ProductError, ProductEvent};
use crate::Decider;
use crate::values::{Category, Description, Money, OrderId, ProductId, ProductName, Sku};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The most units a product may have on hand, and the largest single correction.
pub const MAX_STOCK: u32 = 1_000_000_000;

/// A product's lifecycle.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub enum Product {
    /// Not created yet.
    #[default]
    Unknown,
    /// On sale.
    Active(ProductState),
    /// No longer sold; existing reservations can still be released or committed.
    Discontinued(ProductState),
}

/// What a created product knows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductState {
    /// Id.
    pub id: ProductId,
    /// SKU.
    pub sku: Sku,
    /// Name.
    pub name: ProductName,
    /// Description.
    pub description: Description,
    /// Category.
    pub category: Category,
    /// Unit price.
    pub price: Money,
    /// Units in the warehouse.
    pub on_hand: u32,
    /// Units held, per order.
    pub reservations: BTreeMap<OrderId, u32>,
}

impl ProductState {
    /// Units held for orders.
    pub fn reserved(&self) -> u32 {
        self.reservations.values().sum()
    }

    /// Units that can still be sold: on hand minus reserved.
    pub fn available(&self) -> u32 {
        self.on_hand.saturating_sub(self.reserved())
    }
}

impl Product {
    /// The state of a created product.
    pub fn state(&self) -> Option<&ProductState> {
        match self {
            Product::Unknown => None,
            Product::Active(s) | Product::Discontinued(s) => Some(s),
        }
    }

    fn state_mut(&mut self) -> Option<&mut ProductState> {
        match self {
            Product::Unknown => None,
            Product::Active(s) | Product::Discontinued(s) => Some(s),
        }
    }

    fn active(&self) -> Result<&ProductState, ProductError> {
        match self {
            Product::Unknown => Err(ProductError::NotFound),
            Product::Active(s) => Ok(s),
            Product::Discontinued(_) => Err(ProductError::Discontinued),
        }
    }

    fn existing(&self) -> Result<&ProductState, ProductError> {
        self.state().ok_or(ProductError::NotFound)
    }
}

impl Decider for Product {
    type Command = ProductCommand;
    type Event = ProductEvent;
    type Error = ProductError;

    fn decide(&self, command: ProductCommand) -> Result<Vec<ProductEvent>, ProductError> {
        use ProductCommand as C;
        use ProductEvent as E;
        match command {
            C::Create {
                product_id,
                sku,
                name,
                description,
                category,
                price,
                initial_stock,
            } => {
                if self.state().is_some() {
                    return Err(ProductError::AlreadyExists);
                }
                if initial_stock > MAX_STOCK {
                    return Err(ProductError::StockOutOfRange);
                }
                Ok(vec![E::ProductCreated {
                    product_id,
                    sku,
                    name,
                    description,
                    category,
                    price,
                    initial_stock,
                }])
            }
            C::ChangeDetails {
                name,
                description,
                category,
            } => {
                let s = self.active()?;
                let name = name.unwrap_or_else(|| s.name.clone());
                let description = description.unwrap_or_else(|| s.description.clone());
                let category = category.unwrap_or_else(|| s.category.clone());
                if name == s.name && description == s.description && category == s.category {
                    return Ok(vec![]);
                }
                Ok(vec![E::ProductDetailsChanged {
                    name,
                    description,
                    category,
                }])
            }
            C::ChangePrice { price } => {
                let s = self.active()?;
                if price.currency() != s.price.currency() {
                    return Err(ProductError::CurrencyChange {
                        from: s.price.currency(),
                        to: price.currency(),
                    });
                }
                if price == s.price {
                    return Ok(vec![]);
                }
                Ok(vec![E::ProductPriceChanged {
                    previous: s.price,
                    price,
                }])
            }
            C::AdjustStock { delta, reason } => {
                let s = self.existing()?;
                if delta == 0 || delta.unsigned_abs() > u64::from(MAX_STOCK) {
                    return Err(ProductError::StockOutOfRange);
                }
                let would_be = i64::from(s.on_hand) + delta;
                let reserved = s.reserved();
                if would_be < i64::from(reserved) {
                    return Err(ProductError::BelowReserved { would_be, reserved });
                }
                let on_hand = u32::try_from(would_be)
                    .ok()
                    .filter(|n| *n <= MAX_STOCK)
                    .ok_or(ProductError::StockOutOfRange)?;
                Ok(vec![E::StockAdjusted {
                    delta,
                    reason,
                    on_hand,
                }])
            }
            C::Reserve { order_id, quantity } => {
                let s = self.active()?;
                let requested = quantity.get();
                if let Some(&held) = s.reservations.get(&order_id) {
                    return if held == requested {
                        Ok(vec![])
                    } else {
                        Err(ProductError::ReservationMismatch {
                            order_id,
                            held,
                            requested,
                        })
                    };
                }
                let available = s.available();
                if requested > available {
                    return Err(ProductError::InsufficientStock {
                        requested,
                        available,
                    });
                }
                Ok(vec![E::StockReserved {
                    order_id,
                    quantity: requested,
                    reserved: s.reserved() + requested,
                }])
            }
            C::ReleaseReservation { order_id, reason } => {
                let s = self.existing()?;
                // Releasing what is not held is already done: compensation must be repeatable.
                let Some(&quantity) = s.reservations.get(&order_id) else {
                    return Ok(vec![]);
                };
                Ok(vec![E::ReservationReleased {
                    order_id,
                    quantity,
                    reason,
                    reserved: s.reserved() - quantity,
                }])
            }
            C::CommitReservation { order_id } => {
                let s = self.existing()?;
                let quantity = *s
                    .reservations
                    .get(&order_id)
                    .ok_or(ProductError::NoReservation(order_id))?;
                Ok(vec![E::ReservationCommitted {
                    order_id,
                    quantity,
                    on_hand: s.on_hand - quantity,
                    reserved: s.reserved() - quantity,
                }])
            }
            C::Discontinue { reason } => {
                self.active()?;
                Ok(vec![E::ProductDiscontinued { reason }])
            }
        }
    }

    fn evolve(&mut self, event: ProductEvent) {
        use ProductEvent as E;
        match event {
            E::ProductCreated {
                product_id,
                sku,
                name,
                description,
                category,
                price,
                initial_stock,
            } => {
                *self = Product::Active(ProductState {
                    id: product_id,
                    sku,
                    name,
                    description,
                    category,
                    price,
                    on_hand: initial_stock,
                    reservations: BTreeMap::new(),
                });
            }
            E::ProductDiscontinued { .. } => {
                if let Product::Active(s) = std::mem::take(self) {
                    *self = Product::Discontinued(s);
                }
            }
            other => {
                let Some(s) = self.state_mut() else { return };
                match other {
                    E::ProductDetailsChanged {
                        name,
                        description,
                        category,
                    } => {
                        s.name = name;
                        s.description = description;
                        s.category = category;
                    }
                    E::ProductPriceChanged { price, .. } => s.price = price,
                    E::StockAdjusted { on_hand, .. } => s.on_hand = on_hand,
                    E::StockReserved {
                        order_id, quantity, ..
                    } => {
                        s.reservations.insert(order_id, quantity);
                    }
                    E::ReservationReleased { order_id, .. } => {
                        s.reservations.remove(&order_id);
                    }
                    E::ReservationCommitted {
                        order_id, on_hand, ..
                    } => {
                        s.reservations.remove(&order_id);
                        s.on_hand = on_hand;
                    }
                    E::ProductCreated { .. } | E::ProductDiscontinued { .. } => {}
                }
            }
        }
    }
}

crate::aggregate!(Product, "product", state_version = 1);
