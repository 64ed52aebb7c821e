//! The cart's state, its decisions and their effect.

use super::{CartCommand, CartError, CartEvent};
use crate::Decider;
use crate::values::{CartId, OrderId, OrderLine, ProductId, Quantity, UserId};
use serde::{Deserialize, Serialize};

/// The most lines one cart may hold.
pub const MAX_LINES: usize = 100;

/// A cart's lifecycle.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub enum Cart {
    /// Not opened yet.
    #[default]
    Unknown,
    /// Being filled.
    Open(CartState),
    /// Turned into an order; final.
    CheckedOut {
        /// The cart as it was checked out.
        cart: CartState,
        /// The order it became.
        order_id: OrderId,
    },
}

/// What an opened cart knows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CartState {
    /// Id.
    pub id: CartId,
    /// The user it belongs to.
    pub owner: UserId,
    /// Lines in the order they were added; one per product.
    pub lines: Vec<CartLine>,
}

/// Units of one product in a cart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartLine {
    /// The product.
    pub product_id: ProductId,
    /// Units.
    pub quantity: Quantity,
}

impl CartState {
    /// The line of a product, if any.
    pub fn line(&self, product_id: ProductId) -> Option<&CartLine> {
        self.lines.iter().find(|l| l.product_id == product_id)
    }

    fn line_mut(&mut self, product_id: ProductId) -> Option<&mut CartLine> {
        self.lines.iter_mut().find(|l| l.product_id == product_id)
    }

    /// Refuses a new line past [`MAX_LINES`].
    fn room_for(&self, product_id: ProductId) -> Result<(), CartError> {
        if self.line(product_id).is_none() && self.lines.len() >= MAX_LINES {
            return Err(CartError::TooManyLines);
        }
        Ok(())
    }

    /// True when the priced lines are exactly this cart's products and quantities.
    fn matches(&self, priced: &[OrderLine]) -> bool {
        let mut ours: Vec<_> = self
            .lines
            .iter()
            .map(|l| (l.product_id, l.quantity))
            .collect();
        let mut theirs: Vec<_> = priced.iter().map(|l| (l.product_id, l.quantity)).collect();
        ours.sort_unstable();
        theirs.sort_unstable();
        ours == theirs
    }
}

impl Cart {
    /// The state of an opened cart.
    pub fn state(&self) -> Option<&CartState> {
        match self {
            Cart::Unknown => None,
            Cart::Open(s) | Cart::CheckedOut { cart: s, .. } => Some(s),
        }
    }

    fn open(&self) -> Result<&CartState, CartError> {
        match self {
            Cart::Unknown => Err(CartError::NotFound),
            Cart::Open(s) => Ok(s),
            Cart::CheckedOut { .. } => Err(CartError::CheckedOut),
        }
    }
}

impl Decider for Cart {
    type Command = CartCommand;
    type Event = CartEvent;
    type Error = CartError;

    fn decide(&self, command: CartCommand) -> Result<Vec<CartEvent>, CartError> {
        use CartCommand as C;
        use CartEvent as E;
        match command {
            C::Open { cart_id, owner } => match self {
                Cart::Unknown => Ok(vec![E::CartOpened { cart_id, owner }]),
                Cart::Open(_) => Err(CartError::AlreadyExists),
                Cart::CheckedOut { .. } => Err(CartError::CheckedOut),
            },
            C::AddItem {
                product_id,
                quantity,
            } => {
                let s = self.open()?;
                s.room_for(product_id)?;
                let before = s.line(product_id).map_or(0, |l| l.quantity.get());
                let line_quantity = before
                    .checked_add(quantity.get())
                    .and_then(|n| Quantity::new(n).ok())
                    .ok_or(CartError::QuantityTooLarge)?;
                Ok(vec![E::CartItemAdded {
                    product_id,
                    quantity,
                    line_quantity,
                }])
            }
            C::SetItemQuantity {
                product_id,
                quantity,
            } => {
                let s = self.open()?;
                let current = s.line(product_id).map(|l| l.quantity);
                if quantity == 0 {
                    return Ok(match current {
                        Some(_) => vec![E::CartItemRemoved { product_id }],
                        None => vec![],
                    });
                }
                let quantity = Quantity::new(quantity).map_err(|_| CartError::QuantityTooLarge)?;
                if current == Some(quantity) {
                    return Ok(vec![]);
                }
                s.room_for(product_id)?;
                Ok(vec![E::CartItemQuantitySet {
                    product_id,
                    quantity,
                }])
            }
            C::RemoveItem { product_id } => {
                let s = self.open()?;
                s.line(product_id)
                    .ok_or(CartError::LineNotFound(product_id))?;
                Ok(vec![E::CartItemRemoved { product_id }])
            }
            C::CheckOut {
                order_id,
                lines,
                shipping_address,
                payment_method,
            } => {
                let s = self.open()?;
                if s.lines.is_empty() {
                    return Err(CartError::EmptyCart);
                }
                if !s.matches(&lines) {
                    return Err(CartError::LinesChanged);
                }
                let total = OrderLine::total(&lines)?.ok_or(CartError::EmptyCart)?;
                Ok(vec![E::CartCheckedOut {
                    order_id,
                    owner: s.owner,
                    lines,
                    total,
                    shipping_address,
                    payment_method,
                }])
            }
        }
    }

    fn evolve(&mut self, event: CartEvent) {
        use CartEvent as E;
        match event {
            E::CartOpened { cart_id, owner } => {
                *self = Cart::Open(CartState {
                    id: cart_id,
                    owner,
                    lines: Vec::new(),
                });
            }
            E::CartCheckedOut { order_id, .. } => {
                *self = match std::mem::take(self) {
                    Cart::Open(cart) => Cart::CheckedOut { cart, order_id },
                    other => other,
                };
            }
            other => {
                let Cart::Open(s) = self else { return };
                match other {
                    E::CartItemAdded {
                        product_id,
                        line_quantity: quantity,
                        ..
                    }
                    | E::CartItemQuantitySet {
                        product_id,
                        quantity,
                    } => match s.line_mut(product_id) {
                        Some(line) => line.quantity = quantity,
                        None => s.lines.push(CartLine {
                            product_id,
                            quantity,
                        }),
                    },
                    E::CartItemRemoved { product_id } => {
                        s.lines.retain(|l| l.product_id != product_id);
                    }
                    E::CartOpened { .. } | E::CartCheckedOut { .. } => {}
                }
            }
        }
    }
}

crate::aggregate!(Cart, "cart", state_version = 1);
