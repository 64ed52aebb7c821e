//! Out-of-order commits on PostgreSQL: transactions held open across a reader's polls,
//! appends from a second store instance (as another process would make), and wake-ups that
//! can only come through `LISTEN/NOTIFY`.

use super::Pg;
use crate::conformance::support::{append, stream};
use infra::event_store::{EventStore, ExpectedVersion, RecordedEvent, Subscription};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

const ROUNDS: usize = 3;
const BLOCKED: usize = 12;

/// A subscriber that polls every 10 ms and records what it saw.
fn tail(store: Arc<dyn EventStore>, total: usize) -> tokio::task::JoinHandle<Vec<RecordedEvent>> {
    let mut subscription = Subscription::new(store, 0)
        .batch_size(5)
        .poll_interval(Duration::from_millis(10));
    tokio::spawn(async move {
        let mut seen = Vec::new();
        while seen.len() < total {
            seen.extend(subscription.next_batch().await.unwrap());
        }
        seen
    })
}

pub async fn appends_wait_behind_a_held_transaction_and_the_reader_skips_nothing(pg: &Pg) {
    let store: Arc<dyn EventStore> = pg.store.clone();
    let other: Arc<dyn EventStore> = Arc::new(pg.second_store().await);
    let total = ROUNDS * (2 + BLOCKED + 1);
    let reader = tail(store.clone(), total);
    for _ in 0..ROUNDS {
        // A transaction that began before the others and commits after them.
        let mut late = pg.store.pool().begin().await.unwrap();
        sqlx::query("SELECT count(*) FROM events")
            .execute(&mut *late)
            .await
            .unwrap();

        let mut held = pg.store.pool().begin().await.unwrap();
        let first = pg
            .store
            .append_within(
                &mut held,
                append(&stream("held"), ExpectedVersion::NoStream, 2),
            )
            .await
            .unwrap();
        let blocked: Vec<_> = (0..BLOCKED)
            .map(|i| {
                let target = if i % 3 == 0 {
                    other.clone()
                } else {
                    store.clone()
                };
                tokio::spawn(async move {
                    target
                        .append(append(&stream("blocked"), ExpectedVersion::Any, 1))
                        .await
                        .unwrap()
                })
            })
            .collect();
        // Let the reader poll some thirty times while the first transaction is open.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(
            blocked.iter().all(|b| !b.is_finished()),
            "an append got a position while an earlier one was uncommitted"
        );
        held.commit().await.unwrap();
        for b in blocked {
            let outcome = b.await.unwrap();
            assert!(outcome.first_position > first.last_position);
        }
        let last = pg
            .store
            .append_within(
                &mut late,
                append(&stream("late"), ExpectedVersion::NoStream, 1),
            )
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        late.commit().await.unwrap();
        assert_eq!(last.first_position, store.head().await.unwrap());
    }
    let seen = tokio::time::timeout(Duration::from_secs(30), reader)
        .await
        .expect("the subscriber caught up")
        .unwrap();
    let positions: Vec<_> = seen.iter().map(|e| e.position).collect();
    assert_eq!(positions, (1..=total as u64).collect::<Vec<_>>());
    let ids: HashSet<_> = seen.iter().map(|e| e.event_id).collect();
    assert_eq!(ids.len(), total, "an event was delivered twice");
    let full = store.read_all(0, total + 1).await.unwrap();
    assert_eq!(full.len(), total);
}

pub async fn a_commit_by_another_instance_wakes_a_subscriber_through_notify(pg: &Pg) {
    let other = pg.second_store().await;
    let store: Arc<dyn EventStore> = pg.store.clone();
    let head = store.head().await.unwrap();
    // A poll interval of an hour: only a notification can deliver within the timeout.
    let mut subscription =
        Subscription::new(store.clone(), head).poll_interval(Duration::from_secs(3600));
    let waiter = tokio::spawn(async move { subscription.next_batch().await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let written = other
        .append(append(&stream("t"), ExpectedVersion::Any, 1))
        .await
        .unwrap();
    let batch = tokio::time::timeout(Duration::from_secs(10), waiter)
        .await
        .expect("the subscriber was woken by NOTIFY")
        .unwrap()
        .unwrap();
    assert_eq!(batch[0].position, written.first_position);
}
