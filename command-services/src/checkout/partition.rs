//! Many orders at once. A window of the log is split by order: the events of one order (its
//! checkout, its own events and its shipment's) are handled one after another in log order,
//! and up to [`CONCURRENCY`] orders are handled at the same time. Their commands meet in the
//! event store's group commit, which batches their appends.

use super::flow::Waiting;
use super::steps::{FlowError, shipment_of};
use domain::values::OrderId;
use futures_util::StreamExt;
use infra::event_store::RecordedEvent;
use std::collections::HashMap;

/// The most orders handled at the same time.
pub const CONCURRENCY: usize = 64;

/// The key every event of one order shares: the id of its shipment, which a shipment event's
/// stream names and an order's id derives.
pub fn key(event: &RecordedEvent) -> String {
    if let Some(shipment) = event.stream.strip_prefix("shipment-") {
        return shipment.to_owned();
    }
    let order = event
        .stream
        .strip_prefix("order-")
        .and_then(|id| id.parse::<OrderId>().ok())
        // A checkout names the order it asks for.
        .or_else(|| {
            let id = event.payload.get("order_id")?.as_str()?;
            id.parse::<OrderId>().ok()
        });
    match order {
        Some(order) => shipment_of(order).to_string(),
        None => event.stream.clone(),
    }
}

/// The indexes of `events` grouped by [`key`], each group in log order.
pub fn groups(events: &[RecordedEvent]) -> Vec<Vec<usize>> {
    let mut slots: HashMap<String, usize> = HashMap::new();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, event) in events.iter().enumerate() {
        let slot = *slots.entry(key(event)).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[slot].push(i);
    }
    groups
}

/// Handles every event with `handle`, each order's in log order and up to [`CONCURRENCY`]
/// orders at once, and answers what each event did, in the events' order. Every group runs
/// to its end or its first failure, even after another failed, so that no command is cut
/// off half-sent; then the first failure is the answer.
pub async fn handle_all<'a, F, Fut>(
    events: &'a [RecordedEvent],
    handle: F,
) -> Result<Vec<Waiting>, FlowError>
where
    F: Fn(&'a RecordedEvent) -> Fut,
    Fut: Future<Output = Result<Waiting, FlowError>>,
{
    let handle = &handle;
    let runs = groups(events).into_iter().map(|group| async move {
        let mut done = Vec::with_capacity(group.len());
        for i in group {
            match handle(&events[i]).await {
                Ok(waiting) => done.push((i, waiting)),
                Err(e) => return (done, Some(e)),
            }
        }
        (done, None)
    });
    let mut runs = futures_util::stream::iter(runs).buffer_unordered(CONCURRENCY);
    let mut answers = vec![Waiting::Same; events.len()];
    let mut failure = None;
    while let Some((done, error)) = runs.next().await {
        for (i, waiting) in done {
            answers[i] = waiting;
        }
        failure = failure.or(error);
    }
    match failure {
        Some(error) => Err(error),
        None => Ok(answers),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use infra::event_store::EventMetadata;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use uuid::Uuid;

    fn event(position: u64, stream: String, payload: serde_json::Value) -> RecordedEvent {
        let now = chrono::Utc::now();
        RecordedEvent {
            position,
            stream,
            version: 1,
            event_id: Uuid::now_v7(),
            event_type: "Something".into(),
            schema_version: 1,
            payload,
            metadata: EventMetadata::new(now),
            recorded_at: now,
            hash: String::new(),
        }
    }

    /// Two orders' checkouts, own events and shipment events, interleaved.
    fn window() -> (Vec<RecordedEvent>, [OrderId; 2]) {
        let orders = [
            OrderId::from_uuid(Uuid::now_v7()),
            OrderId::from_uuid(Uuid::now_v7()),
        ];
        let checkout = |o: OrderId| serde_json::json!({ "order_id": o.to_string() });
        let events = vec![
            event(1, "cart-1".into(), checkout(orders[0])),
            event(2, "cart-2".into(), checkout(orders[1])),
            event(3, format!("order-{}", orders[0]), serde_json::json!({})),
            event(
                4,
                format!("shipment-{}", shipment_of(orders[1])),
                serde_json::json!({}),
            ),
            event(5, format!("order-{}", orders[1]), serde_json::json!({})),
            event(
                6,
                format!("shipment-{}", shipment_of(orders[0])),
                serde_json::json!({}),
            ),
        ];
        (events, orders)
    }

    #[test]
    fn an_orders_checkout_own_and_shipment_events_form_one_group_in_log_order() {
        let (events, _) = window();
        assert_eq!(groups(&events), vec![vec![0, 2, 5], vec![1, 3, 4]]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn orders_are_handled_at_once_and_each_orders_events_in_order() {
        let (events, _) = window();
        let (running, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let seen = Mutex::new(Vec::new());
        let handled = handle_all(&events, |e| {
            let (running, most, seen) = (&running, &most, &seen);
            async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                seen.lock().unwrap().push(e.position);
                running.fetch_sub(1, Ordering::SeqCst);
                Ok(Waiting::Started(OrderId::from_uuid(Uuid::from_u128(
                    e.position.into(),
                ))))
            }
        })
        .await
        .unwrap();
        assert_eq!(most.load(Ordering::SeqCst), 2, "both orders at once");
        let seen = seen.into_inner().unwrap();
        let at = |p| seen.iter().position(|s| *s == p).unwrap();
        assert!(at(1) < at(3) && at(3) < at(6), "{seen:?}");
        assert!(at(2) < at(4) && at(4) < at(5), "{seen:?}");
        // Answers come back in the events' order.
        let ids: Vec<_> = handled
            .iter()
            .map(|w| match w {
                Waiting::Started(id) => id.to_string(),
                other => panic!("{other:?}"),
            })
            .collect();
        let expected: Vec<_> = (1..=6u128)
            .map(|p| OrderId::from_uuid(Uuid::from_u128(p)).to_string())
            .collect();
        assert_eq!(ids, expected);
    }

    #[tokio::test]
    async fn a_failure_stops_its_order_only_and_is_the_answer() {
        let (events, _) = window();
        let seen = Mutex::new(Vec::new());
        let handled = handle_all(&events, |e| {
            let seen = &seen;
            async move {
                seen.lock().unwrap().push(e.position);
                if e.position == 3 {
                    return Err(FlowError::Retry("down".into()));
                }
                Ok(Waiting::Same)
            }
        })
        .await;
        assert!(matches!(handled, Err(FlowError::Retry(_))));
        let mut seen = seen.into_inner().unwrap();
        seen.sort();
        // The failing order stopped before its shipment event; the other ran to its end.
        assert_eq!(seen, [1, 2, 3, 4, 5]);
    }
}
