//! Payments for orders: requested, then authorized or declined by the provider, captured in
//! full, and refunded in one or more parts up to what was captured.
//!
//! Transitions are idempotent (asking for the status the payment is already in records
//! nothing); refunds are not, since each carries its own amount.

mod aggregate;
#[cfg(test)]
mod tests;

pub use aggregate::{Payment, PaymentState};

use crate::values::{
    Money, MoneyError, OrderId, PaymentId, PaymentMethod, ProviderReference, Reason,
};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Where a payment is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Requested, waiting for the provider.
    Pending,
    /// The provider authorized the amount.
    Authorized,
    /// The full amount was captured.
    Captured,
    /// The provider declined.
    Declined,
    /// Everything captured was refunded.
    Refunded,
    /// Part of the captured amount was refunded.
    PartiallyRefunded,
    /// The authorization was released before capture (the order was cancelled).
    Voided,
}

impl PaymentStatus {
    /// The wire word.
    pub const fn as_str(&self) -> &'static str {
        match self {
            PaymentStatus::Pending => "pending",
            PaymentStatus::Authorized => "authorized",
            PaymentStatus::Captured => "captured",
            PaymentStatus::Declined => "declined",
            PaymentStatus::Refunded => "refunded",
            PaymentStatus::PartiallyRefunded => "partially_refunded",
            PaymentStatus::Voided => "voided",
        }
    }
}

/// What may be asked of a payment.
#[derive(Debug, Clone, PartialEq)]
pub enum PaymentCommand {
    /// Ask for an order's amount to be paid.
    Request {
        /// New id, created at the edge.
        payment_id: PaymentId,
        /// The order paid for.
        order_id: OrderId,
        /// What to charge; not zero.
        amount: Money,
        /// How to pay.
        method: PaymentMethod,
    },
    /// The provider authorized the payment.
    Authorize {
        /// The provider's reference.
        provider_reference: ProviderReference,
    },
    /// The provider declined the payment.
    Decline {
        /// Why.
        reason: Reason,
    },
    /// Capture the full authorized amount.
    Capture {},
    /// Release an authorization that will not be captured.
    Void {
        /// Why.
        reason: Reason,
    },
    /// Give part or all of the captured amount back.
    Refund {
        /// How much; not zero, in the payment's currency.
        amount: Money,
        /// Why.
        reason: Reason,
    },
}

/// What happened to a payment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PaymentEvent {
    /// A payment was requested.
    PaymentRequested {
        /// Id.
        payment_id: PaymentId,
        /// The order paid for.
        order_id: OrderId,
        /// What to charge.
        amount: Money,
        /// How to pay.
        method: PaymentMethod,
    },
    /// The provider authorized the payment.
    PaymentAuthorized {
        /// The provider's reference.
        provider_reference: ProviderReference,
    },
    /// The provider declined the payment.
    PaymentDeclined {
        /// Why.
        reason: Reason,
    },
    /// The full amount was captured.
    PaymentCaptured {
        /// Amount captured.
        amount: Money,
    },
    /// The authorization was released without capture.
    PaymentVoided {
        /// Why.
        reason: Reason,
    },
    /// Part or all of the captured amount was refunded.
    PaymentRefunded {
        /// This refund.
        amount: Money,
        /// Why.
        reason: Reason,
        /// All refunds so far, this one included.
        total_refunded: Money,
    },
}

crate::domain_event!(PaymentEvent {
    PaymentRequested => 1,
    PaymentAuthorized => 1,
    PaymentDeclined => 1,
    PaymentCaptured => 1,
    PaymentRefunded => 1,
    PaymentVoided => 1,
});

/// Why a payment command was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PaymentError {
    /// No such payment.
    #[error("payment not found")]
    NotFound,
    /// Requested twice.
    #[error("payment already exists")]
    AlreadyExists,
    /// Payments and refunds move money.
    #[error("amount must not be zero")]
    ZeroAmount,
    /// The command does not apply in the current status.
    #[error("cannot {action} a payment that is {}", .status.as_str())]
    InvalidTransition {
        /// Status now.
        status: PaymentStatus,
        /// What was asked.
        action: &'static str,
    },
    /// More than what is left to refund.
    #[error("cannot refund {requested}, only {refundable} is refundable")]
    RefundExceedsCaptured {
        /// Asked for.
        requested: Money,
        /// Captured minus refunded so far.
        refundable: Money,
    },
    /// The amount is in another currency.
    #[error("payment amount: {0}")]
    Money(#[from] MoneyError),
}

impl crate::Refusal for PaymentError {
    fn kind(&self) -> crate::RefusalKind {
        match self {
            PaymentError::NotFound => crate::RefusalKind::NotFound,
            PaymentError::AlreadyExists => crate::RefusalKind::AlreadyExists,
            _ => crate::RefusalKind::Rejected,
        }
    }
}
