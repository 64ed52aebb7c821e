//! The checks every event store backend must pass: appends, expected versions, idempotency,
//! the global log and its subscribers, stats. The other topics live in their own modules and
//! are re-exported here, where `conformance_suite!` finds every check.

use super::Harness;
pub use super::aggregates::{
    a_stale_aggregate_commit_is_a_conflict, a_stored_v1_event_upcasts_and_replays_like_v2,
    cqrs_framework_commits_and_loads_aggregates,
};
pub use super::processes::several_processes_append_while_a_subscriber_tails;
pub use super::snapshots::{
    a_long_stream_loads_from_its_snapshot_like_a_full_replay,
    a_snapshot_is_kept_only_with_the_event_it_was_taken_at,
    a_snapshot_of_another_layout_is_passed_over_and_rebuilt,
};
use super::support::*;
pub use super::verify::{
    an_event_edited_behind_the_stores_back_fails_verify,
    an_unreadable_event_is_named_by_its_global_position,
    the_last_event_deleted_behind_the_stores_back_fails_verify,
};
pub use super::windows::a_filtered_read_covers_every_position_and_returns_only_its_types;
use infra::event_store::{EventPayload, ExpectedVersion, RecordedEvent, StoreError, Subscription};
use std::collections::HashSet;
use std::time::Duration;
use uuid::Uuid;

pub async fn appended_events_read_back_with_their_metadata(h: &impl Harness) {
    let store = h.store();
    let s = stream("thing");
    let request = append(&s, ExpectedVersion::NoStream, 3);
    let outcome = store.append(request.clone()).await.unwrap();
    assert_eq!((outcome.first_version, outcome.last_version), (1, 3));
    assert!(!outcome.deduplicated);
    let read = store.read_stream(&s, 1).await.unwrap();
    assert_eq!(read.len(), 3);
    for (i, (event, sent)) in read.iter().zip(&request.events).enumerate() {
        assert_eq!(event.version, i as u64 + 1);
        assert_eq!(event.stream, s);
        assert_eq!(event.event_id, sent.event_id);
        assert_eq!(event.event_type, sent.event_type);
        assert_eq!(event.schema_version, 1);
        assert_eq!(event.payload, sent.payload);
        assert_eq!(event.metadata, request.metadata);
        assert_eq!(event.hash.len(), 64);
    }
    assert_eq!(read[0].position, outcome.first_position);
    assert_eq!(read[2].position, outcome.last_position);
    assert!(read.windows(2).all(|w| w[0].position < w[1].position));
    assert!(
        read.windows(2)
            .all(|w| w[0].recorded_at <= w[1].recorded_at)
    );
    let payloads = store.read_payloads(&s, 2).await.unwrap();
    let expected: Vec<EventPayload> = read[1..].iter().cloned().map(Into::into).collect();
    assert_eq!(payloads, expected);
    assert_eq!(store.stream_version(&s).await.unwrap(), 3);
    assert_eq!(store.stream_version("thing-none").await.unwrap(), 0);
    assert_eq!(store.head().await.unwrap(), outcome.last_position);
}

/// `After(version, event)`: the stream must be at `version` and end with `event`. Another
/// event at that version (another writer's) is a conflict, as is a stream not there yet or
/// past it.
pub async fn an_append_after_an_event_needs_the_stream_to_end_with_it(h: &impl Harness) {
    let store = h.store();
    let s = stream("thing");
    let first = append(&s, ExpectedVersion::NoStream, 2);
    let last = first.events[1].event_id;
    store.append(first).await.unwrap();
    for (expected, at) in [
        (ExpectedVersion::After(2, Uuid::now_v7()), 2),
        (ExpectedVersion::After(1, last), 2),
        (ExpectedVersion::After(3, last), 2),
    ] {
        match store.append(append(&s, expected, 1)).await {
            Err(StoreError::Conflict { current, .. }) => assert_eq!(current, at),
            other => panic!("expected a conflict for {expected:?}, got {other:?}"),
        }
    }
    let next = append(&s, ExpectedVersion::After(2, last), 1);
    let next_id = next.events[0].event_id;
    let outcome = store.append(next).await.unwrap();
    assert_eq!(outcome.last_version, 3);
    assert!(matches!(
        store
            .append(append(&s, ExpectedVersion::After(2, last), 1))
            .await,
        Err(StoreError::Conflict { current: 3, .. })
    ));
    let other = stream("thing");
    assert!(matches!(
        store
            .append(append(&other, ExpectedVersion::After(1, next_id), 1))
            .await,
        Err(StoreError::Conflict { current: 0, .. })
    ));
    assert_eq!(store.read_stream(&s, 1).await.unwrap().len(), 3);
}

pub async fn a_stale_expected_version_conflicts_and_writes_nothing(h: &impl Harness) {
    let store = h.store();
    let s = stream("thing");
    store
        .append(append(&s, ExpectedVersion::NoStream, 2))
        .await
        .unwrap();
    let head = store.head().await.unwrap();
    for expected in [
        ExpectedVersion::NoStream,
        ExpectedVersion::Exact(0),
        ExpectedVersion::Exact(1),
        ExpectedVersion::Exact(3),
    ] {
        match store.append(append(&s, expected, 2)).await {
            Err(StoreError::Conflict { current, .. }) => assert_eq!(current, 2),
            other => panic!("expected a conflict for {expected:?}, got {other:?}"),
        }
    }
    let other = stream("thing");
    assert!(matches!(
        store
            .append(append(&other, ExpectedVersion::Exact(1), 1))
            .await,
        Err(StoreError::Conflict { current: 0, .. })
    ));
    assert_eq!(store.head().await.unwrap(), head);
    assert_eq!(store.read_stream(&s, 1).await.unwrap().len(), 2);
    assert!(store.read_stream(&other, 1).await.unwrap().is_empty());
}

pub async fn any_and_exact_expected_versions_append(h: &impl Harness) {
    let store = h.store();
    let s = stream("thing");
    store
        .append(append(&s, ExpectedVersion::Any, 1))
        .await
        .unwrap();
    store
        .append(append(&s, ExpectedVersion::Exact(1), 1))
        .await
        .unwrap();
    let outcome = store
        .append(append(&s, ExpectedVersion::Any, 2))
        .await
        .unwrap();
    assert_eq!((outcome.first_version, outcome.last_version), (3, 4));
}

pub async fn an_append_with_one_bad_event_writes_none_of_it(h: &impl Harness) {
    let store = h.store();
    let s = stream("thing");
    let first = append(&s, ExpectedVersion::NoStream, 1);
    let taken_id = first.events[0].event_id;
    store.append(first).await.unwrap();
    let head = store.head().await.unwrap();

    // The third event reuses an id that is already stored.
    let mut bad = append(&s, ExpectedVersion::Exact(1), 3);
    bad.events[2].event_id = taken_id;
    assert!(matches!(
        store.append(bad).await,
        Err(StoreError::DuplicateEvent(id)) if id == taken_id
    ));
    // Two events of one append share an id.
    let mut twins = append(&s, ExpectedVersion::Exact(1), 2);
    twins.events[1].event_id = twins.events[0].event_id;
    assert!(matches!(
        store.append(twins).await,
        Err(StoreError::DuplicateEvent(_))
    ));

    assert_eq!(store.head().await.unwrap(), head);
    assert_eq!(store.stream_version(&s).await.unwrap(), 1);
    // The stream is still usable at its old version, and its chain intact.
    store
        .append(append(&s, ExpectedVersion::Exact(1), 1))
        .await
        .unwrap();
    assert!(store.verify(&s).await.unwrap().intact());
}

pub async fn a_retried_command_id_appends_nothing(h: &impl Harness) {
    let store = h.store();
    let s = stream("thing");
    let command = Uuid::now_v7();
    let first = store
        .append(with_command(
            append(&s, ExpectedVersion::NoStream, 2),
            command,
        ))
        .await
        .unwrap();
    let head = store.head().await.unwrap();
    // The retry carries a stale expected version and new event ids; it must not matter.
    let retry = store
        .append(with_command(
            append(&s, ExpectedVersion::NoStream, 2),
            command,
        ))
        .await
        .unwrap();
    assert!(retry.deduplicated);
    assert_eq!(
        (
            retry.first_position,
            retry.last_position,
            retry.last_version
        ),
        (
            first.first_position,
            first.last_position,
            first.last_version
        )
    );
    assert_eq!(store.head().await.unwrap(), head);
    assert_eq!(store.read_stream(&s, 1).await.unwrap().len(), 2);
    assert_eq!(
        store
            .command_outcome(command)
            .await
            .unwrap()
            .map(|o| o.last_position),
        Some(first.last_position)
    );
    assert_eq!(store.command_outcome(Uuid::now_v7()).await.unwrap(), None);
    // The same command id aimed at another stream is refused, not silently deduplicated.
    assert!(matches!(
        store
            .append(with_command(
                append(&stream("thing"), ExpectedVersion::Any, 1),
                command
            ))
            .await,
        Err(StoreError::CommandReused { .. })
    ));
    // Concurrent retries of one command write it once.
    let again = Uuid::now_v7();
    let s2 = stream("thing");
    let tries = (0..8).map(|_| {
        let store = store.clone();
        let request = with_command(append(&s2, ExpectedVersion::Any, 1), again);
        tokio::spawn(async move { store.append(request).await })
    });
    for attempt in futures_join(tries).await {
        attempt.unwrap();
    }
    assert_eq!(store.read_stream(&s2, 1).await.unwrap().len(), 1);
}

pub async fn invalid_appends_are_refused(h: &impl Harness) {
    let store = h.store();
    let mut empty = append(&stream("thing"), ExpectedVersion::Any, 1);
    empty.events.clear();
    assert!(matches!(
        store.append(empty).await,
        Err(StoreError::Invalid(_))
    ));
    let blank = append("  ", ExpectedVersion::Any, 1);
    assert!(matches!(
        store.append(blank).await,
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(store.head().await.unwrap(), 0);
}

pub async fn the_global_log_reads_in_batches_and_streams_from_a_version(h: &impl Harness) {
    let store = h.store();
    let (a, b) = (stream("a"), stream("b"));
    for i in 0..5 {
        for s in [&a, &b] {
            store
                .append(append(s, ExpectedVersion::Exact(i), 1))
                .await
                .unwrap();
        }
    }
    let all = store.read_all(0, 1000).await.unwrap();
    assert_eq!(all.len(), 10);
    let mut paged = Vec::new();
    let mut after = 0;
    loop {
        let page = store.read_all(after, 3).await.unwrap();
        let Some(last) = page.last() else { break };
        assert!(page.len() <= 3);
        after = last.position;
        paged.extend(page);
    }
    assert_eq!(ids(&paged), ids(&all));
    let tail = store.read_stream(&a, 4).await.unwrap();
    assert_eq!(
        tail.iter().map(|e| e.version).collect::<Vec<_>>(),
        vec![4, 5]
    );
    if h.dense_positions() {
        let positions: Vec<_> = all.iter().map(|e| e.position).collect();
        assert_eq!(positions, (1..=10).collect::<Vec<_>>());
    }
}

pub async fn concurrent_writers_and_a_tailing_subscriber_agree(h: &impl Harness) {
    const WRITERS: usize = 16;
    const APPENDS: usize = 40;
    let store = h.store();
    let total = WRITERS * APPENDS * 3;
    let mut subscription = Subscription::new(store.clone(), 0)
        .batch_size(7)
        .poll_interval(Duration::from_millis(200));
    let reader = tokio::spawn(async move {
        let mut seen = Vec::new();
        while seen.len() < total {
            seen.extend(subscription.next_batch().await.unwrap());
        }
        seen
    });
    let shared = stream("shared");
    let writers = (0..WRITERS).map(|w| {
        let store = store.clone();
        let shared = shared.clone();
        tokio::spawn(async move {
            let own = stream(&format!("writer{w}"));
            for i in 0..APPENDS {
                // Each writer extends its own stream (exact versions) and a shared one.
                store
                    .append(append(&own, ExpectedVersion::Exact(2 * i as u64), 2))
                    .await
                    .unwrap();
                store
                    .append(append(&shared, ExpectedVersion::Any, 1))
                    .await
                    .unwrap();
            }
        })
    });
    futures_join(writers).await;
    let seen = tokio::time::timeout(Duration::from_secs(60), reader)
        .await
        .expect("the subscriber caught up")
        .unwrap();
    assert_eq!(seen.len(), total);
    assert!(
        seen.windows(2).all(|w| w[0].position < w[1].position),
        "positions out of order"
    );
    let unique: HashSet<_> = seen.iter().map(|e| e.event_id).collect();
    assert_eq!(unique.len(), total, "an event was delivered twice");
    let full = store.read_all(0, total + 10).await.unwrap();
    assert_eq!(
        ids(&seen),
        ids(&full),
        "the subscriber differs from a full read"
    );
    if h.dense_positions() {
        assert_eq!(seen.last().map(|e| e.position), Some(total as u64));
    }
}

pub async fn a_subscriber_wakes_on_commit_without_polling(h: &impl Harness) {
    let store = h.store();
    store
        .append(append(&stream("t"), ExpectedVersion::Any, 1))
        .await
        .unwrap();
    let head = store.head().await.unwrap();
    // A poll interval of an hour: only a wake-up can deliver within the timeout below.
    let mut subscription =
        Subscription::new(store.clone(), head).poll_interval(Duration::from_secs(3600));
    let waiter = tokio::spawn(async move { subscription.next_batch().await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let written = store
        .append(append(&stream("t"), ExpectedVersion::Any, 1))
        .await
        .unwrap();
    let batch = tokio::time::timeout(Duration::from_secs(10), waiter)
        .await
        .expect("the subscriber was woken")
        .unwrap()
        .unwrap();
    assert_eq!(batch[0].position, written.first_position);
}

pub async fn stats_count_events_and_streams(h: &impl Harness) {
    let store = h.store();
    for _ in 0..3 {
        store
            .append(append(&stream("t"), ExpectedVersion::NoStream, 2))
            .await
            .unwrap();
    }
    let stats = store.stats().await.unwrap();
    assert_eq!((stats.events, stats.streams), (6, 3));
    assert_eq!(stats.head_position, store.head().await.unwrap());
}

fn ids(events: &[RecordedEvent]) -> Vec<Uuid> {
    events.iter().map(|e| e.event_id).collect()
}

pub async fn futures_join<T>(
    handles: impl IntoIterator<Item = tokio::task::JoinHandle<T>>,
) -> Vec<T>
where
    T: Send + 'static,
{
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.expect("task panicked"));
    }
    out
}
