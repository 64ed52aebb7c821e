//! Tamper evidence for an order: the hash chains of its order, payment and shipment streams
//! and of the product streams that hold its reservations, recomputed from the stored bytes.

use super::AuditError;
use super::streams::{OrderStreams, order_id};
use infra::StoreError;
use infra::event_store::{BrokenLink, EventStore, Position, VerifyReport, Version};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// The verdict over every stream of an order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Verification {
    /// True when every link of every stream holds.
    pub intact: bool,
    /// The broken event with the lowest position, when not intact.
    pub first_broken: Option<BrokenEvent>,
    /// Each stream checked: the order's, its payment's and shipment's (when they exist), and
    /// the products of its lines.
    pub streams: Vec<StreamCheck>,
}

/// One stream's chain.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StreamCheck {
    /// The stream.
    pub stream: String,
    /// Events whose links were recomputed.
    pub events_checked: u64,
    /// True when every link holds.
    pub intact: bool,
    /// The first event whose link fails.
    pub first_broken: Option<BrokenEvent>,
}

/// An event whose link does not hold: it, or an event before it in its stream, was changed,
/// removed or reordered.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BrokenEvent {
    /// Its stream.
    pub stream: String,
    /// Its version in the stream.
    pub version: Version,
    /// Its global position.
    pub position: Position,
    /// Its id.
    pub event_id: Uuid,
    /// What does not match.
    pub reason: String,
}

impl BrokenEvent {
    fn new(stream: &str, link: BrokenLink) -> Self {
        Self {
            stream: stream.to_owned(),
            version: link.version,
            position: link.position,
            event_id: link.event_id,
            reason: link.reason,
        }
    }
}

impl From<VerifyReport> for StreamCheck {
    fn from(report: VerifyReport) -> Self {
        Self {
            intact: report.intact(),
            first_broken: report
                .first_broken
                .map(|link| BrokenEvent::new(&report.stream, link)),
            events_checked: report.events_checked,
            stream: report.stream,
        }
    }
}

/// Recomputes the chains of the order `id`'s streams.
pub async fn verify(store: &dyn EventStore, id: &str) -> Result<Verification, AuditError> {
    let id = order_id(id)?;
    let order_stream = OrderStreams::new(id).order;
    if store.stream_version(&order_stream).await? == 0 {
        return Err(AuditError::NotFound);
    }
    // The products come from the order's first event; when tampering left it unreadable,
    // its broken link below is the answer and the products are left out.
    let placed = match store.read_stream(&order_stream, 1).await {
        Ok(events) => events.into_iter().next(),
        Err(StoreError::Corrupt { .. }) => None,
        Err(other) => return Err(other.into()),
    };
    let streams = OrderStreams {
        products: placed
            .and_then(|p| OrderStreams::products_of(&p).ok())
            .unwrap_or_default(),
        ..OrderStreams::new(id)
    };
    let mut checks = Vec::new();
    let names = [&streams.order, &streams.payment, &streams.shipment];
    for stream in names.into_iter().chain(&streams.products) {
        let report = store.verify(stream).await?;
        // A payment or shipment the order never got has no chain to check.
        if report.events_checked > 0 || *stream == streams.order {
            checks.push(StreamCheck::from(report));
        }
    }
    let first_broken = checks
        .iter()
        .filter_map(|c| c.first_broken.clone())
        .min_by_key(|b| b.position);
    Ok(Verification {
        intact: first_broken.is_none(),
        first_broken,
        streams: checks,
    })
}
