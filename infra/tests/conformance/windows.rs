//! Filtered reads of the global log: a subscriber of a few event types.

use super::Harness;
use super::support::*;
use infra::event_store::{AppendRequest, ExpectedVersion, NewEvent, Subscription};
use serde_json::json;
use std::time::Duration;

fn typed(stream: &str, event_type: &str, n: usize) -> AppendRequest {
    let mut request = append(stream, ExpectedVersion::Any, 1);
    request.events = vec![NewEvent::new(event_type, 1, json!({ "n": n }))];
    request
}

pub async fn a_filtered_read_covers_every_position_and_returns_only_its_types(h: &impl Harness) {
    let store = h.store();
    let s = stream("mixed");
    for n in 0..30 {
        let kind = ["Apple", "Banana", "Cherry"][n % 3];
        store.append(typed(&s, kind, n)).await.unwrap();
    }
    let head = store.head().await.unwrap();
    // Windows of 7 over the whole log, keeping apples and cherries.
    let mut log = Subscription::new(store.clone(), 0)
        .batch_size(7)
        .only(vec!["Apple", "Cherry"]);
    let mut seen = Vec::new();
    while let Some(window) = log.try_next_window().await.unwrap() {
        assert!(window.events.iter().all(|e| e.position <= window.up_to));
        seen.extend(window.events);
    }
    assert_eq!(
        log.position(),
        head,
        "the windows cover the log to its head"
    );
    assert!(seen.iter().all(|e| e.event_type != "Banana"));
    let all = store.read_all(0, 100).await.unwrap();
    let expected: Vec<_> = all
        .iter()
        .filter(|e| e.event_type != "Banana")
        .map(|e| e.event_id)
        .collect();
    assert_eq!(
        seen.iter().map(|e| e.event_id).collect::<Vec<_>>(),
        expected
    );
    // Caught up, the next window waits for an event, then covers it even if not its type.
    let waiter = tokio::spawn(async move { log.next_window().await });
    store.append(typed(&s, "Banana", 99)).await.unwrap();
    let window = tokio::time::timeout(Duration::from_secs(10), waiter)
        .await
        .expect("woken")
        .unwrap()
        .unwrap();
    assert!(window.events.is_empty());
    assert_eq!(window.up_to, store.head().await.unwrap());
}
