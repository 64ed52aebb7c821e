//! The order's state, its decisions and their effect.

use super::{OrderCommand, OrderError, OrderEvent, OrderStatus};
use crate::Decider;
use crate::values::{
    Address, CartId, Money, OrderId, OrderLine, PaymentId, PaymentMethod, Reason, ShipmentId,
    UserId,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An order; `None` until placed.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order(Option<OrderState>);

/// What a placed order knows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderState {
    /// Id.
    pub id: OrderId,
    /// Who buys.
    pub customer: UserId,
    /// The cart checked out, if any.
    pub cart_id: Option<CartId>,
    /// Priced lines.
    pub lines: Vec<OrderLine>,
    /// Sum of the line totals.
    pub total: Money,
    /// Where to ship.
    pub shipping_address: Address,
    /// How to pay.
    pub payment_method: PaymentMethod,
    /// When it was placed.
    pub placed_at: DateTime<Utc>,
    /// Where it is in its lifecycle.
    pub status: OrderStatus,
    /// The payment, once authorized or declined.
    pub payment_id: Option<PaymentId>,
    /// The shipment, once shipped.
    pub shipment_id: Option<ShipmentId>,
    /// Why it was rejected or cancelled.
    pub closing_reason: Option<Reason>,
}

impl Order {
    /// The state of a placed order.
    pub fn state(&self) -> Option<&OrderState> {
        self.0.as_ref()
    }

    fn existing(&self) -> Result<&OrderState, OrderError> {
        self.state().ok_or(OrderError::NotFound)
    }
}

/// A plain transition: `event` from one of `from`, nothing when already `to`, else refused.
fn transition(
    s: &OrderState,
    from: &[OrderStatus],
    to: OrderStatus,
    action: &'static str,
    event: OrderEvent,
) -> Result<Vec<OrderEvent>, OrderError> {
    if s.status == to {
        Ok(vec![])
    } else if from.contains(&s.status) {
        Ok(vec![event])
    } else {
        Err(OrderError::InvalidTransition {
            status: s.status,
            action,
        })
    }
}

/// Refuses a payment other than the one the order already recorded.
fn same_payment(s: &OrderState, payment_id: PaymentId) -> Result<(), OrderError> {
    match s.payment_id {
        Some(known) if known != payment_id => Err(OrderError::PaymentMismatch),
        _ => Ok(()),
    }
}

impl Decider for Order {
    type Command = OrderCommand;
    type Event = OrderEvent;
    type Error = OrderError;

    fn decide(&self, command: OrderCommand) -> Result<Vec<OrderEvent>, OrderError> {
        use OrderCommand as C;
        use OrderEvent as E;
        use OrderStatus as S;
        match command {
            C::Place {
                order_id,
                customer,
                cart_id,
                lines,
                shipping_address,
                payment_method,
                placed_at,
            } => {
                if self.state().is_some() {
                    return Err(OrderError::AlreadyExists);
                }
                let total = OrderLine::total(&lines)?.ok_or(OrderError::EmptyOrder)?;
                Ok(vec![E::OrderPlaced {
                    order_id,
                    customer,
                    cart_id,
                    lines,
                    total,
                    shipping_address,
                    payment_method,
                    placed_at,
                }])
            }
            C::MarkStockReserved {} => transition(
                self.existing()?,
                &[S::Placed],
                S::StockReserved,
                "mark stock reserved",
                E::OrderStockReserved {},
            ),
            C::Reject { reason } => transition(
                self.existing()?,
                &[S::Placed, S::StockReserved],
                S::Rejected,
                "reject",
                E::OrderRejected { reason },
            ),
            C::AuthorizePayment { payment_id } => {
                let s = self.existing()?;
                if s.status == S::PaymentAuthorized {
                    same_payment(s, payment_id)?;
                }
                transition(
                    s,
                    &[S::StockReserved],
                    S::PaymentAuthorized,
                    "authorize payment",
                    E::OrderPaymentAuthorized { payment_id },
                )
            }
            C::DeclinePayment { payment_id, reason } => {
                let s = self.existing()?;
                if s.status == S::Rejected {
                    same_payment(s, payment_id)?;
                }
                transition(
                    s,
                    &[S::StockReserved],
                    S::Rejected,
                    "decline payment",
                    E::OrderPaymentDeclined { payment_id, reason },
                )
            }
            C::MarkPaid { payment_id } => {
                let s = self.existing()?;
                if matches!(s.status, S::PaymentAuthorized | S::Paid) {
                    same_payment(s, payment_id)?;
                }
                transition(
                    s,
                    &[S::PaymentAuthorized],
                    S::Paid,
                    "mark paid",
                    E::OrderPaid { payment_id },
                )
            }
            C::MarkShipped { shipment_id } => transition(
                self.existing()?,
                &[S::Paid],
                S::Shipped,
                "mark shipped",
                E::OrderShipped { shipment_id },
            ),
            C::MarkDelivered {} => transition(
                self.existing()?,
                &[S::Shipped],
                S::Delivered,
                "mark delivered",
                E::OrderDelivered {},
            ),
            C::Cancel { reason } => {
                let s = self.existing()?;
                match s.status {
                    S::Placed | S::StockReserved | S::PaymentAuthorized | S::Paid => {
                        Ok(vec![E::OrderCancelled {
                            reason,
                            previous_status: s.status,
                        }])
                    }
                    S::Shipped | S::Delivered => Err(OrderError::CannotCancelAfterShipping),
                    S::Cancelled => Ok(vec![]),
                    S::Rejected => Err(OrderError::InvalidTransition {
                        status: s.status,
                        action: "cancel",
                    }),
                }
            }
            C::Expire { reason } => {
                let s = self.existing()?;
                match s.status {
                    S::Placed | S::StockReserved | S::PaymentAuthorized => {
                        Ok(vec![E::OrderCancelled {
                            reason,
                            previous_status: s.status,
                        }])
                    }
                    S::Cancelled => Ok(vec![]),
                    status => Err(OrderError::InvalidTransition {
                        status,
                        action: "expire",
                    }),
                }
            }
            C::AdminCancel { reason } => {
                let s = self.existing()?;
                match s.status {
                    S::Cancelled => Ok(vec![]),
                    S::Delivered | S::Rejected => Err(OrderError::InvalidTransition {
                        status: s.status,
                        action: "cancel",
                    }),
                    _ => Ok(vec![E::OrderCancelled {
                        reason,
                        previous_status: s.status,
                    }]),
                }
            }
        }
    }

    fn evolve(&mut self, event: OrderEvent) {
        use OrderEvent as E;
        use OrderStatus as S;
        if let E::OrderPlaced {
            order_id,
            customer,
            cart_id,
            lines,
            total,
            shipping_address,
            payment_method,
            placed_at,
        } = event
        {
            self.0 = Some(OrderState {
                id: order_id,
                customer,
                cart_id,
                lines,
                total,
                shipping_address,
                payment_method,
                placed_at,
                status: S::Placed,
                payment_id: None,
                shipment_id: None,
                closing_reason: None,
            });
            return;
        }
        let Some(s) = self.0.as_mut() else { return };
        match event {
            E::OrderPlaced { .. } => {}
            E::OrderStockReserved {} => s.status = S::StockReserved,
            E::OrderRejected { reason } => {
                s.status = S::Rejected;
                s.closing_reason = Some(reason);
            }
            E::OrderPaymentAuthorized { payment_id } => {
                s.status = S::PaymentAuthorized;
                s.payment_id = Some(payment_id);
            }
            E::OrderPaymentDeclined { payment_id, reason } => {
                s.status = S::Rejected;
                s.payment_id = Some(payment_id);
                s.closing_reason = Some(reason);
            }
            E::OrderPaid { .. } => s.status = S::Paid,
            E::OrderShipped { shipment_id } => {
                s.status = S::Shipped;
                s.shipment_id = Some(shipment_id);
            }
            E::OrderDelivered {} => s.status = S::Delivered,
            E::OrderCancelled { reason, .. } => {
                s.status = S::Cancelled;
                s.closing_reason = Some(reason);
            }
        }
    }
}

crate::aggregate!(Order, "order", state_version = 1);
