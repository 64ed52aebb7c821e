//! The shipment's state, its decisions and their effect.

use super::{ShipmentCommand, ShipmentError, ShipmentEvent, ShipmentStatus};
use crate::Decider;
use crate::values::{Address, Carrier, OrderId, ShipmentId, TrackingNumber};
use serde::{Deserialize, Serialize};

/// A shipment; `None` until created.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shipment(Option<ShipmentState>);

/// What a created shipment knows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShipmentState {
    /// Id.
    pub id: ShipmentId,
    /// The order shipped.
    pub order_id: OrderId,
    /// Where to.
    pub address: Address,
    /// Where it is in its lifecycle.
    pub status: ShipmentStatus,
    /// The carrier of the latest dispatch.
    pub carrier: Option<Carrier>,
    /// The tracking number of the latest dispatch.
    pub tracking_number: Option<TrackingNumber>,
}

impl Shipment {
    /// The state of a created shipment.
    pub fn state(&self) -> Option<&ShipmentState> {
        self.0.as_ref()
    }

    fn existing(&self) -> Result<&ShipmentState, ShipmentError> {
        self.state().ok_or(ShipmentError::NotFound)
    }
}

/// A plain transition: `event` from one of `from`, nothing when already `to`, else refused.
fn transition(
    s: &ShipmentState,
    from: &[ShipmentStatus],
    to: ShipmentStatus,
    action: &'static str,
    event: ShipmentEvent,
) -> Result<Vec<ShipmentEvent>, ShipmentError> {
    if s.status == to {
        Ok(vec![])
    } else if from.contains(&s.status) {
        Ok(vec![event])
    } else {
        Err(ShipmentError::InvalidTransition {
            status: s.status,
            action,
        })
    }
}

impl Decider for Shipment {
    type Command = ShipmentCommand;
    type Event = ShipmentEvent;
    type Error = ShipmentError;

    fn decide(&self, command: ShipmentCommand) -> Result<Vec<ShipmentEvent>, ShipmentError> {
        use ShipmentCommand as C;
        use ShipmentEvent as E;
        use ShipmentStatus as S;
        match command {
            C::Create {
                shipment_id,
                order_id,
                address,
            } => {
                if self.state().is_some() {
                    return Err(ShipmentError::AlreadyExists);
                }
                Ok(vec![E::ShipmentCreated {
                    shipment_id,
                    order_id,
                    address,
                }])
            }
            C::Dispatch {
                carrier,
                tracking_number,
                at,
            } => transition(
                self.existing()?,
                &[S::Pending, S::Failed],
                S::Dispatched,
                "dispatch",
                E::ShipmentDispatched {
                    carrier,
                    tracking_number,
                    dispatched_at: at,
                },
            ),
            C::Deliver { at } => transition(
                self.existing()?,
                &[S::Dispatched],
                S::Delivered,
                "deliver",
                E::ShipmentDelivered { delivered_at: at },
            ),
            C::FailDelivery { reason, at } => transition(
                self.existing()?,
                &[S::Dispatched],
                S::Failed,
                "fail delivery",
                E::ShipmentDeliveryFailed {
                    reason,
                    failed_at: at,
                },
            ),
            C::Cancel { reason } => match self.existing()?.status {
                S::Pending => Ok(vec![E::ShipmentCancelled { reason }]),
                S::Dispatched | S::Delivered | S::Failed => {
                    Err(ShipmentError::CannotCancelAfterDispatch)
                }
                S::Cancelled => Ok(vec![]),
            },
        }
    }

    fn evolve(&mut self, event: ShipmentEvent) {
        use ShipmentEvent as E;
        use ShipmentStatus as S;
        if let E::ShipmentCreated {
            shipment_id,
            order_id,
            address,
        } = event
        {
            self.0 = Some(ShipmentState {
                id: shipment_id,
                order_id,
                address,
                status: S::Pending,
                carrier: None,
                tracking_number: None,
            });
            return;
        }
        let Some(s) = self.0.as_mut() else { return };
        match event {
            E::ShipmentCreated { .. } => {}
            E::ShipmentDispatched {
                carrier,
                tracking_number,
                ..
            } => {
                s.status = S::Dispatched;
                s.carrier = Some(carrier);
                s.tracking_number = Some(tracking_number);
            }
            E::ShipmentDelivered { .. } => s.status = S::Delivered,
            E::ShipmentDeliveryFailed { .. } => s.status = S::Failed,
            E::ShipmentCancelled { .. } => s.status = S::Cancelled,
        }
    }
}

crate::aggregate!(Shipment, "shipment", state_version = 1);
