//! Shipments of paid orders: created, dispatched with a carrier, then delivered, or failed
//! and dispatched again; cancellable only before dispatch.
//!
//! Transitions are idempotent: asking for the status the shipment is already in records
//! nothing.

mod aggregate;
#[cfg(test)]
mod tests;

pub use aggregate::{Shipment, ShipmentState};

use crate::values::{Address, Carrier, OrderId, Reason, ShipmentId, TrackingNumber};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Where a shipment is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShipmentStatus {
    /// Created, not yet handed to a carrier.
    Pending,
    /// With the carrier.
    Dispatched,
    /// Arrived.
    Delivered,
    /// The carrier could not deliver; may be dispatched again.
    Failed,
    /// Cancelled before dispatch.
    Cancelled,
}

impl ShipmentStatus {
    /// The wire word.
    pub const fn as_str(&self) -> &'static str {
        match self {
            ShipmentStatus::Pending => "pending",
            ShipmentStatus::Dispatched => "dispatched",
            ShipmentStatus::Delivered => "delivered",
            ShipmentStatus::Failed => "failed",
            ShipmentStatus::Cancelled => "cancelled",
        }
    }
}

/// What may be asked of a shipment.
#[derive(Debug, Clone, PartialEq)]
pub enum ShipmentCommand {
    /// Create a shipment for an order.
    Create {
        /// New id, created at the edge.
        shipment_id: ShipmentId,
        /// The order shipped.
        order_id: OrderId,
        /// Where to.
        address: Address,
    },
    /// Hand the parcel to a carrier, first or again after a failed delivery.
    Dispatch {
        /// The carrier.
        carrier: Carrier,
        /// The carrier's tracking number.
        tracking_number: TrackingNumber,
        /// When.
        at: DateTime<Utc>,
    },
    /// The parcel arrived.
    Deliver {
        /// When.
        at: DateTime<Utc>,
    },
    /// The carrier could not deliver.
    FailDelivery {
        /// Why.
        reason: Reason,
        /// When.
        at: DateTime<Utc>,
    },
    /// Cancel before dispatch.
    Cancel {
        /// Why.
        reason: Reason,
    },
}

/// What happened to a shipment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ShipmentEvent {
    /// A shipment was created.
    ShipmentCreated {
        /// Id.
        shipment_id: ShipmentId,
        /// The order shipped.
        order_id: OrderId,
        /// Where to.
        address: Address,
    },
    /// The parcel left with a carrier.
    ShipmentDispatched {
        /// The carrier.
        carrier: Carrier,
        /// The carrier's tracking number.
        tracking_number: TrackingNumber,
        /// When.
        dispatched_at: DateTime<Utc>,
    },
    /// The parcel arrived.
    ShipmentDelivered {
        /// When.
        delivered_at: DateTime<Utc>,
    },
    /// The carrier could not deliver.
    ShipmentDeliveryFailed {
        /// Why.
        reason: Reason,
        /// When.
        failed_at: DateTime<Utc>,
    },
    /// The shipment was cancelled before dispatch.
    ShipmentCancelled {
        /// Why.
        reason: Reason,
    },
}

crate::domain_event!(ShipmentEvent {
    ShipmentCreated => 1,
    ShipmentDispatched => 1,
    ShipmentDelivered => 1,
    ShipmentDeliveryFailed => 1,
    ShipmentCancelled => 1,
});

/// Why a shipment command was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ShipmentError {
    /// No such shipment.
    #[error("shipment not found")]
    NotFound,
    /// Created twice.
    #[error("shipment already exists")]
    AlreadyExists,
    /// The command does not apply in the current status.
    #[error("cannot {action} a shipment that is {}", .status.as_str())]
    InvalidTransition {
        /// Status now.
        status: ShipmentStatus,
        /// What was asked.
        action: &'static str,
    },
    /// Once with a carrier, a shipment is delivered, failed or returned, not cancelled.
    #[error("a shipment cannot be cancelled once dispatched")]
    CannotCancelAfterDispatch,
}

impl crate::Refusal for ShipmentError {
    fn kind(&self) -> crate::RefusalKind {
        match self {
            ShipmentError::NotFound => crate::RefusalKind::NotFound,
            ShipmentError::AlreadyExists => crate::RefusalKind::AlreadyExists,
            _ => crate::RefusalKind::Rejected,
        }
    }
}
