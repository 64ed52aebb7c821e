//! An order as it was at a past moment, replayed from the log with the aggregates' own
//! `apply`: up to a version of the order stream, or up to the last event recorded at or
//! before a time. Its payment and shipment are replayed to the same moment.

use super::AuditError;
use super::snapshot::{OrderSnapshot, PaymentSnapshot, Reflects, ShipmentSnapshot};
use super::streams::{self, decode};
use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use domain::order::Order;
use domain::payment::Payment;
use domain::shipment::Shipment;
use infra::event_store::{EventStore, Position, RecordedEvent, Version};
use serde::Serialize;
use utoipa::ToSchema;

/// Which moment to replay to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsOf {
    /// Now: every event.
    Latest,
    /// Right after this version of the order stream was recorded.
    Version(Version),
    /// This time: every event recorded at or before it.
    At(DateTime<Utc>),
}

impl AsOf {
    /// The moment from the `at` (RFC 3339) and `version` parameters, at most one given.
    pub fn parse(at: Option<&str>, version: Option<Version>) -> Result<Self, AuditError> {
        match (at, version) {
            (Some(_), Some(_)) => Err(AuditError::Malformed(
                "give either at or version, not both".into(),
            )),
            (None, None) => Ok(AsOf::Latest),
            (None, Some(version)) => Ok(AsOf::Version(version)),
            (Some(at), None) => DateTime::parse_from_rfc3339(at.trim())
                .map(|t| AsOf::At(t.with_timezone(&Utc)))
                .map_err(|_| {
                    // A `+` left unencoded in a query string arrives as a space.
                    let hint = if at.contains(' ') {
                        " (encode + as %2B)"
                    } else {
                        ""
                    };
                    AuditError::Malformed(format!(
                        "at must be an RFC 3339 time such as 2026-11-29T10:00:00Z, not {at:?}{hint}"
                    ))
                }),
        }
    }

    /// True when `event` belongs to the moment, given the position of the last order event
    /// it covers: for a version, everything up to that event; for a time, everything
    /// recorded by then (commit times never decrease along the log); now, everything.
    pub fn covers(&self, event: &RecordedEvent, order_position: Position) -> bool {
        match self {
            AsOf::Latest => true,
            AsOf::Version(_) => event.position <= order_position,
            AsOf::At(t) => event.recorded_at <= *t,
        }
    }
}

/// An order's state at a moment, with its payment's and shipment's.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderAsOf {
    /// The order stream's version, position and time the state reflects.
    #[serde(flatten)]
    pub reflects: Reflects,
    /// The time asked for, when the moment was given as `at`.
    pub at: Option<DateTime<Utc>>,
    /// The order.
    pub order: OrderSnapshot,
    /// Its payment at the same moment; null before it was requested.
    pub payment: Option<PaymentSnapshot>,
    /// Its shipment at the same moment; null before it was created.
    pub shipment: Option<ShipmentSnapshot>,
}

/// How many of the order's events the moment covers (at least one).
fn order_prefix(events: &[RecordedEvent], as_of: AsOf) -> Result<usize, AuditError> {
    let last = events.len() as Version;
    match as_of {
        AsOf::Latest => Ok(events.len()),
        AsOf::Version(0) => Err(AuditError::Invalid {
            field: "version",
            message: "versions start at 1".into(),
        }),
        AsOf::Version(n) if n > last => Err(AuditError::Invalid {
            field: "version",
            message: format!("the order has {last} versions, not {n}"),
        }),
        // Versions are dense from 1, so version n is the n-th event.
        AsOf::Version(n) => Ok(n as usize),
        AsOf::At(t) => match events.iter().take_while(|e| e.recorded_at <= t).count() {
            0 => Err(AuditError::Invalid {
                field: "at",
                message: format!(
                    "the order did not exist yet: it was first recorded at {}",
                    events
                        .first()
                        .map_or_else(String::new, |e| e.recorded_at.to_rfc3339())
                ),
            }),
            n => Ok(n),
        },
    }
}

/// Applies `events` to a fresh `A`, with `A::apply` as loading the aggregate does.
fn replay<A: Aggregate>(events: &[RecordedEvent]) -> Result<A, AuditError> {
    let mut aggregate = A::default();
    for event in events {
        aggregate.apply(decode::<A>(event)?);
    }
    Ok(aggregate)
}

/// The events of `stream` that belong to the moment.
async fn until(
    store: &dyn EventStore,
    stream: &str,
    as_of: AsOf,
    order_position: Position,
) -> Result<Vec<RecordedEvent>, AuditError> {
    let events = store.read_stream(stream, 1).await?;
    Ok(events
        .into_iter()
        .take_while(|e| as_of.covers(e, order_position))
        .collect())
}

/// The order `id` (and its payment and shipment) as of `as_of`.
pub async fn state_as_of(
    store: &dyn EventStore,
    id: &str,
    as_of: AsOf,
) -> Result<OrderAsOf, AuditError> {
    let (streams, order_events) = streams::load(store, id).await?;
    let applied = &order_events[..order_prefix(&order_events, as_of)?];
    let (Some(last), Some(order)) = (applied.last(), replay::<Order>(applied)?.state().cloned())
    else {
        // The first event of an order stream is always `OrderPlaced`.
        return Err(AuditError::NotFound);
    };
    let payment_events = until(store, &streams.payment, as_of, last.position).await?;
    let payment = match (
        payment_events.last(),
        replay::<Payment>(&payment_events)?.state(),
    ) {
        (Some(e), Some(s)) => Some(PaymentSnapshot::new(s.clone(), e.into())),
        _ => None,
    };
    let shipment_events = until(store, &streams.shipment, as_of, last.position).await?;
    let shipment = match (
        shipment_events.last(),
        replay::<Shipment>(&shipment_events)?.state(),
    ) {
        (Some(e), Some(s)) => Some(ShipmentSnapshot::new(s.clone(), e.into())),
        _ => None,
    };
    Ok(OrderAsOf {
        reflects: last.into(),
        at: match as_of {
            AsOf::At(t) => Some(t),
            _ => None,
        },
        order: order.into(),
        payment,
        shipment,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_most_one_moment_parses() {
        assert_eq!(AsOf::parse(None, None).unwrap(), AsOf::Latest);
        assert_eq!(AsOf::parse(None, Some(3)).unwrap(), AsOf::Version(3));
        let at = AsOf::parse(Some("2026-11-29T11:00:00+01:00"), None).unwrap();
        assert_eq!(at, AsOf::At("2026-11-29T10:00:00Z".parse().unwrap()));
        assert!(matches!(
            AsOf::parse(Some("2026-11-29T10:00:00Z"), Some(1)),
            Err(AuditError::Malformed(_))
        ));
        let Err(AuditError::Malformed(why)) = AsOf::parse(Some("2026-11-29T11:00:00 01:00"), None)
        else {
            panic!("a space for a plus parses")
        };
        assert!(why.contains("%2B"), "{why}");
    }
}
