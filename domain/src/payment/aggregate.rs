//! The payment's state, its decisions and their effect.

use super::{PaymentCommand, PaymentError, PaymentEvent, PaymentStatus};
use crate::Decider;
use crate::values::{Money, MoneyError, OrderId, PaymentId, PaymentMethod, ProviderReference};
use serde::{Deserialize, Serialize};

/// A payment; `None` until requested.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payment(Option<PaymentState>);

/// What a requested payment knows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentState {
    /// Id.
    pub id: PaymentId,
    /// The order paid for.
    pub order_id: OrderId,
    /// What to charge.
    pub amount: Money,
    /// How to pay.
    pub method: PaymentMethod,
    /// Where it is in its lifecycle.
    pub status: PaymentStatus,
    /// The provider's reference, once authorized.
    pub provider_reference: Option<ProviderReference>,
    /// Amount captured; zero until captured.
    pub captured: Money,
    /// All refunds so far.
    pub refunded: Money,
}

impl PaymentState {
    /// What may still be refunded: captured minus refunded.
    pub fn refundable(&self) -> Result<Money, MoneyError> {
        self.captured.checked_sub(&self.refunded)
    }
}

impl Payment {
    /// The state of a requested payment.
    pub fn state(&self) -> Option<&PaymentState> {
        self.0.as_ref()
    }

    fn existing(&self) -> Result<&PaymentState, PaymentError> {
        self.state().ok_or(PaymentError::NotFound)
    }
}

/// A plain transition: `event` from `from`, nothing when already `to`, else refused.
fn transition(
    s: &PaymentState,
    from: PaymentStatus,
    to: PaymentStatus,
    action: &'static str,
    event: PaymentEvent,
) -> Result<Vec<PaymentEvent>, PaymentError> {
    if s.status == to {
        Ok(vec![])
    } else if s.status == from {
        Ok(vec![event])
    } else {
        Err(PaymentError::InvalidTransition {
            status: s.status,
            action,
        })
    }
}

impl Decider for Payment {
    type Command = PaymentCommand;
    type Event = PaymentEvent;
    type Error = PaymentError;

    fn decide(&self, command: PaymentCommand) -> Result<Vec<PaymentEvent>, PaymentError> {
        use PaymentCommand as C;
        use PaymentEvent as E;
        use PaymentStatus as S;
        match command {
            C::Request {
                payment_id,
                order_id,
                amount,
                method,
            } => {
                if self.state().is_some() {
                    return Err(PaymentError::AlreadyExists);
                }
                if amount.is_zero() {
                    return Err(PaymentError::ZeroAmount);
                }
                Ok(vec![E::PaymentRequested {
                    payment_id,
                    order_id,
                    amount,
                    method,
                }])
            }
            C::Authorize { provider_reference } => transition(
                self.existing()?,
                S::Pending,
                S::Authorized,
                "authorize",
                E::PaymentAuthorized { provider_reference },
            ),
            C::Decline { reason } => transition(
                self.existing()?,
                S::Pending,
                S::Declined,
                "decline",
                E::PaymentDeclined { reason },
            ),
            C::Capture {} => {
                let s = self.existing()?;
                let amount = s.amount;
                transition(
                    s,
                    S::Authorized,
                    S::Captured,
                    "capture",
                    E::PaymentCaptured { amount },
                )
            }
            C::Void { reason } => transition(
                self.existing()?,
                S::Authorized,
                S::Voided,
                "void",
                E::PaymentVoided { reason },
            ),
            C::Refund { amount, reason } => {
                let s = self.existing()?;
                // A fully refunded payment falls through: it has nothing left to refund.
                if !matches!(s.status, S::Captured | S::PartiallyRefunded | S::Refunded) {
                    return Err(PaymentError::InvalidTransition {
                        status: s.status,
                        action: "refund",
                    });
                }
                if amount.is_zero() {
                    return Err(PaymentError::ZeroAmount);
                }
                let refundable = s.refundable()?;
                if amount.currency() != refundable.currency() {
                    return Err(MoneyError::CurrencyMismatch {
                        left: refundable.currency(),
                        right: amount.currency(),
                    }
                    .into());
                }
                if amount.amount() > refundable.amount() {
                    return Err(PaymentError::RefundExceedsCaptured {
                        requested: amount,
                        refundable,
                    });
                }
                Ok(vec![E::PaymentRefunded {
                    amount,
                    reason,
                    total_refunded: s.refunded.checked_add(&amount)?,
                }])
            }
        }
    }

    fn evolve(&mut self, event: PaymentEvent) {
        use PaymentEvent as E;
        use PaymentStatus as S;
        if let E::PaymentRequested {
            payment_id,
            order_id,
            amount,
            method,
        } = event
        {
            self.0 = Some(PaymentState {
                id: payment_id,
                order_id,
                amount,
                method,
                status: S::Pending,
                provider_reference: None,
                captured: Money::zero(amount.currency()),
                refunded: Money::zero(amount.currency()),
            });
            return;
        }
        let Some(s) = self.0.as_mut() else { return };
        match event {
            E::PaymentRequested { .. } => {}
            E::PaymentAuthorized { provider_reference } => {
                s.status = S::Authorized;
                s.provider_reference = Some(provider_reference);
            }
            E::PaymentDeclined { .. } => s.status = S::Declined,
            E::PaymentVoided { .. } => s.status = S::Voided,
            E::PaymentCaptured { amount } => {
                s.status = S::Captured;
                s.captured = amount;
            }
            E::PaymentRefunded { total_refunded, .. } => {
                s.status = if total_refunded == s.captured {
                    S::Refunded
                } else {
                    S::PartiallyRefunded
                };
                s.refunded = total_refunded;
            }
        }
    }
}

crate::aggregate!(Payment, "payment", state_version = 1);
