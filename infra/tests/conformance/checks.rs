//! The checks every event store backend must pass.

use super::Harness;
pub use super::processes::several_processes_append_while_a_subscriber_tails;
use super::support::*;
pub use super::windows::a_filtered_read_covers_every_position_and_returns_only_its_types;
use cqrs_es::{AggregateError, CqrsFramework, EventStore as _};
use domain::product::{Product, ProductCommand, ProductEvent};
use domain::values::*;
use infra::event_store::stored::StoredEvent;
use infra::event_store::{
    AggregateStore, EventPayload, ExpectedVersion, RecordedEvent, StoreError, Subscription, hash,
};
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

pub async fn an_event_edited_behind_the_stores_back_fails_verify(h: &impl Harness) {
    let store = h.store();
    let (s, untouched) = (stream("thing"), stream("thing"));
    store
        .append(append(&s, ExpectedVersion::NoStream, 3))
        .await
        .unwrap();
    store
        .append(append(&untouched, ExpectedVersion::NoStream, 2))
        .await
        .unwrap();
    assert!(store.verify(&s).await.unwrap().intact());
    let victim = store.read_stream(&s, 2).await.unwrap()[0].clone();
    if !h
        .tamper_payload(victim.position, r#"{"n":1,"text":"refund me twice"}"#)
        .await
    {
        eprintln!("skipped: this backend's stored events cannot be edited");
        return;
    }
    let report = store.verify(&s).await.unwrap();
    let broken = report.first_broken.expect("the edit was caught");
    assert_eq!(broken.version, 2);
    assert_eq!(broken.position, victim.position);
    assert_eq!(broken.event_id, victim.event_id);
    assert!(store.verify(&untouched).await.unwrap().intact());
}

pub async fn the_last_event_deleted_behind_the_stores_back_fails_verify(h: &impl Harness) {
    let store = h.store();
    let s = stream("thing");
    store
        .append(append(&s, ExpectedVersion::NoStream, 3))
        .await
        .unwrap();
    let events = store.read_stream(&s, 1).await.unwrap();
    if !h.delete_event(events[2].position).await {
        eprintln!("skipped: this backend's stored events cannot be edited");
        return;
    }
    let report = store.verify(&s).await.unwrap();
    let broken = report.first_broken.expect("the deletion was caught");
    assert_eq!(broken.version, 2, "{}", broken.reason);
    assert_eq!(broken.event_id, events[1].event_id);
    assert!(broken.reason.contains("missing"), "{}", broken.reason);
}

pub async fn a_stored_v1_event_upcasts_and_replays_like_v2(h: &impl Harness) {
    #[derive(serde::Deserialize)]
    struct Fixture {
        stream: String,
        event_id: Uuid,
        event_type: String,
        schema_version: u32,
        payload: String,
        metadata: String,
        recorded_at: String,
    }
    let fixture: Fixture =
        serde_json::from_str(include_str!("../fixtures/product_created_v1.json")).unwrap();
    let mut stored = StoredEvent {
        position: 1,
        stream: fixture.stream.clone(),
        version: 1,
        event_id: fixture.event_id,
        event_type: fixture.event_type,
        schema_version: fixture.schema_version,
        payload: fixture.payload,
        metadata: fixture.metadata,
        recorded_at: fixture.recorded_at,
        hash: String::new(),
    };
    stored.hash = hash::to_hex(&hash::link(&hash::GENESIS, &stored.link_input()));
    h.insert_raw(&stored).await;

    let read = h.store().read_stream(&fixture.stream, 1).await.unwrap();
    assert_eq!(read[0].schema_version, 2);
    assert!(h.store().verify(&fixture.stream).await.unwrap().intact());

    let id = fixture.stream.trim_start_matches("product-");
    let loaded = AggregateStore::<Product>::new(h.store())
        .load_aggregate(id)
        .await
        .unwrap();
    let v2 = ProductEvent::ProductCreated {
        product_id: id.parse().unwrap(),
        sku: Sku::parse("MUG-1").unwrap(),
        name: ProductName::parse("Mug").unwrap(),
        description: Description::parse("A sturdy mug").unwrap(),
        category: Category::parse("kitchen").unwrap(),
        price: Money::new(1299, Currency::parse("EUR").unwrap()).unwrap(),
        initial_stock: 40,
    };
    let mut expected = Product::default();
    cqrs_es::Aggregate::apply(&mut expected, v2);
    assert_eq!(loaded.aggregate, expected);
    assert_eq!(loaded.version, 1);

    // The stored row keeps its v1 bytes: appending after it does not rewrite it.
    let store = AggregateStore::<Product>::new(h.store());
    store
        .execute(id, restock(5), &(), Default::default())
        .await
        .unwrap();
    let again = h.store().read_stream(&fixture.stream, 1).await.unwrap();
    assert_eq!(again[0].hash, stored.hash);
    assert!(h.store().verify(&fixture.stream).await.unwrap().intact());
}

pub async fn cqrs_framework_commits_and_loads_aggregates(h: &impl Harness) {
    let store = AggregateStore::<Product>::new(h.store());
    let cqrs = CqrsFramework::new(store.clone(), vec![], ());
    let id = Uuid::now_v7();
    cqrs.execute(&id.to_string(), create_product(id, 3))
        .await
        .unwrap();
    cqrs.execute(&id.to_string(), restock(7)).await.unwrap();
    let refused = cqrs
        .execute(
            &id.to_string(),
            ProductCommand::AdjustStock {
                delta: -11,
                reason: Reason::parse("typo").unwrap(),
            },
        )
        .await;
    assert!(matches!(refused, Err(AggregateError::UserError(_))));
    let loaded = store.load_aggregate(&id.to_string()).await.unwrap();
    assert_eq!(loaded.version, 2);
    assert_eq!(loaded.aggregate.state().unwrap().on_hand, 10);

    // `execute` answers with the position, and a retried command id with the first answer.
    let command_id = Uuid::now_v7();
    let metadata =
        std::collections::HashMap::from([("command_id".to_owned(), command_id.to_string())]);
    let first = store
        .execute(&id.to_string(), restock(1), &(), metadata.clone())
        .await
        .unwrap();
    assert_eq!(first.version, 3);
    assert_eq!(first.position, Some(h.store().head().await.unwrap()));
    let envelopes = store.load_events(&id.to_string()).await.unwrap();
    assert_eq!(envelopes[2].metadata["command_id"], command_id.to_string());
    assert!(envelopes[2].metadata.contains_key("position"));
    // What a commit answers is what a later load reads.
    assert_eq!(first.events[0].metadata, envelopes[2].metadata);
    assert_eq!(first.events[0].payload, envelopes[2].payload);
    assert_eq!(first.events[0].sequence, envelopes[2].sequence);
}

pub async fn a_stale_aggregate_commit_is_a_conflict(h: &impl Harness) {
    let store = AggregateStore::<Product>::new(h.store());
    let id = Uuid::now_v7().to_string();
    store
        .execute(
            &id,
            create_product(Uuid::now_v7(), 3),
            &(),
            Default::default(),
        )
        .await
        .unwrap();
    let first = store.load_aggregate(&id).await.unwrap();
    let second = store.load_aggregate(&id).await.unwrap();
    let event = |delta| ProductEvent::StockAdjusted {
        delta,
        reason: Reason::parse("count").unwrap(),
        on_hand: (3 + delta) as u32,
    };
    store
        .commit(vec![event(1)], first, Default::default())
        .await
        .unwrap();
    let stale = store
        .commit(vec![event(2)], second, Default::default())
        .await;
    assert!(matches!(stale, Err(AggregateError::AggregateConflict)));
    assert_eq!(store.load_aggregate(&id).await.unwrap().version, 2);
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

fn create_product(id: Uuid, stock: u32) -> ProductCommand {
    ProductCommand::Create {
        product_id: ProductId::from_uuid(id),
        sku: Sku::parse("SKU-1").unwrap(),
        name: ProductName::parse("Thing").unwrap(),
        description: Description::parse("").unwrap(),
        category: Category::parse("things").unwrap(),
        price: Money::new(500, Currency::parse("EUR").unwrap()).unwrap(),
        initial_stock: stock,
    }
}

fn restock(delta: i64) -> ProductCommand {
    ProductCommand::AdjustStock {
        delta,
        reason: Reason::parse("delivery").unwrap(),
    }
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
