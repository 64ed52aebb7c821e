//! Shipments: status and tracking history, found by id or by order.

use super::common::AddressDoc;
use crate::runtime::{ApplyError, Docs, Key, Projection, decode, stream_id};
use domain::shipment::{ShipmentEvent, ShipmentStatus};
use infra::event_store::RecordedEvent;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The collection.
pub const SHIPMENTS: &str = "shipments";

/// One tracking step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TrackingEvent {
    /// The status reached.
    pub status: String,
    /// When.
    pub at: String,
    /// Carrier and tracking number, or the failure reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// A shipment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ShipmentDoc {
    /// Id.
    pub id: String,
    /// The order shipped.
    pub order_id: String,
    /// Where to.
    pub address: AddressDoc,
    /// Status word.
    pub status: String,
    /// The carrier of the last dispatch.
    pub carrier: Option<String>,
    /// Its tracking number.
    pub tracking_number: Option<String>,
    /// Every step, in order.
    pub tracking: Vec<TrackingEvent>,
    /// When it was created.
    pub created_at: String,
    /// When it last changed.
    pub updated_at: String,
}

/// The shipments projection.
pub struct Shipments;

impl Projection for Shipments {
    fn name(&self) -> &'static str {
        "shipments"
    }

    fn collections(&self) -> Vec<(&'static str, Vec<&'static str>)> {
        vec![(SHIPMENTS, vec!["order_id", "status", "created_at"])]
    }

    fn event_types(&self) -> Vec<&'static str> {
        ShipmentEvent::SCHEMAS
            .iter()
            .map(|(name, _)| *name)
            .collect()
    }

    fn keys(&self, event: &RecordedEvent) -> Vec<Key> {
        vec![(SHIPMENTS, stream_id(event).to_owned())]
    }

    fn apply(&self, event: &RecordedEvent, docs: &mut Docs) -> Result<(), ApplyError> {
        let id = stream_id(event);
        let at = event.recorded_at.to_rfc3339();
        let event = decode::<ShipmentEvent>(event)?;
        if let ShipmentEvent::ShipmentCreated {
            order_id, address, ..
        } = event
        {
            let status = ShipmentStatus::Pending.as_str().to_owned();
            let doc = ShipmentDoc {
                id: id.to_owned(),
                order_id: order_id.to_string(),
                address: address.into(),
                status: status.clone(),
                carrier: None,
                tracking_number: None,
                tracking: vec![TrackingEvent {
                    status,
                    at: at.clone(),
                    detail: None,
                }],
                created_at: at.clone(),
                updated_at: at,
            };
            return docs.put(SHIPMENTS, id, &doc);
        }
        docs.update(SHIPMENTS, id, |doc: &mut ShipmentDoc| {
            let (status, when, detail) = match event {
                ShipmentEvent::ShipmentDispatched {
                    carrier,
                    tracking_number,
                    dispatched_at,
                } => {
                    let detail = format!("{carrier} {tracking_number}");
                    doc.carrier = Some(carrier.into());
                    doc.tracking_number = Some(tracking_number.into());
                    (
                        ShipmentStatus::Dispatched,
                        dispatched_at.to_rfc3339(),
                        Some(detail),
                    )
                }
                ShipmentEvent::ShipmentDelivered { delivered_at } => {
                    (ShipmentStatus::Delivered, delivered_at.to_rfc3339(), None)
                }
                ShipmentEvent::ShipmentDeliveryFailed { reason, failed_at } => (
                    ShipmentStatus::Failed,
                    failed_at.to_rfc3339(),
                    Some(reason.into()),
                ),
                ShipmentEvent::ShipmentCancelled { reason } => {
                    (ShipmentStatus::Cancelled, at.clone(), Some(reason.into()))
                }
                ShipmentEvent::ShipmentCreated { .. } => return,
            };
            doc.status = status.as_str().to_owned();
            doc.tracking.push(TrackingEvent {
                status: doc.status.clone(),
                at: when,
                detail,
            });
            doc.updated_at = at;
        })
    }
}
