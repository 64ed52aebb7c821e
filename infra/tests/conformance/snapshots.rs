//! Snapshots: kept only with the event they were taken at, used by loads, equal to a full
//! replay, and passed over (then rebuilt) when their layout is not the aggregate's.

use super::Harness;
use super::support::{append, metadata, stream};
use cqrs_es::{Aggregate, EventStore as _};
use domain::StateVersion;
use domain::product::{Product, ProductEvent};
use domain::values::*;
use infra::event_store::{
    AggregateStore, AppendRequest, EventStore, ExpectedVersion, NewEvent, Snapshot, codec,
};
use std::time::{Duration, Instant};
use uuid::Uuid;

fn snapshot(stream: &str, version: u64, state_version: u32, state: &str) -> Snapshot {
    Snapshot {
        stream: stream.to_owned(),
        version,
        position: 0,
        state_version,
        state: state.to_owned(),
    }
}

pub async fn a_snapshot_is_kept_only_with_the_event_it_was_taken_at(h: &impl Harness) {
    if !h.keeps_snapshots() {
        return;
    }
    let store = h.store();
    let s = stream("thing");
    let outcome = store
        .append(append(&s, ExpectedVersion::NoStream, 3))
        .await
        .unwrap();
    assert_eq!(store.load_snapshot(&s).await.unwrap(), None);

    store
        .save_snapshot(snapshot(&s, 2, 1, "\"two\""))
        .await
        .unwrap();
    let kept = store.load_snapshot(&s).await.unwrap().unwrap();
    // The position is the log's, whatever the caller said.
    assert_eq!(kept.version, 2);
    assert_eq!(kept.position, outcome.first_position + 1);
    assert_eq!((kept.state_version, kept.state.as_str()), (1, "\"two\""));

    // An older snapshot, or one of an event the stream does not have, keeps nothing.
    store
        .save_snapshot(snapshot(&s, 1, 1, "\"one\""))
        .await
        .unwrap();
    store
        .save_snapshot(snapshot(&s, 9, 1, "\"nine\""))
        .await
        .unwrap();
    let other = stream("thing");
    store
        .save_snapshot(snapshot(&other, 1, 1, "\"x\""))
        .await
        .unwrap();
    assert_eq!(store.load_snapshot(&s).await.unwrap(), Some(kept));
    assert_eq!(store.load_snapshot(&other).await.unwrap(), None);

    // Another layout replaces it even at an older version; a newer one replaces it too.
    store
        .save_snapshot(snapshot(&s, 1, 2, "\"v2\""))
        .await
        .unwrap();
    assert_eq!(store.load_snapshot(&s).await.unwrap().unwrap().version, 1);
    store
        .save_snapshot(snapshot(&s, 3, 2, "\"three\""))
        .await
        .unwrap();
    let newest = store.load_snapshot(&s).await.unwrap().unwrap();
    assert_eq!((newest.version, newest.state.as_str()), (3, "\"three\""));

    // Gone from the log, gone as a snapshot: it is never trusted over the log.
    if h.delete_event(outcome.last_position).await {
        assert_eq!(store.load_snapshot(&s).await.unwrap(), None);
    }
}

pub async fn a_long_stream_loads_from_its_snapshot_like_a_full_replay(h: &impl Harness) {
    if !h.keeps_snapshots() {
        return;
    }
    let store = h.store();
    let id = Uuid::now_v7().to_string();
    let s = format!("{}-{id}", Product::TYPE);
    write_product(&*store, &s, 0, 250).await;
    let aggregates = AggregateStore::<Product>::new(store.clone());

    // The first load replays all 250 events and leaves a snapshot at 250.
    let first = aggregates.load_aggregate(&id).await.unwrap();
    assert_eq!(first.version, 250);
    let taken = snapshot_at(&*store, &s, |s| s.version == 250).await;
    assert_eq!(taken.state_version, Product::STATE_VERSION);
    let (replayed, version, position) = full_replay(&*store, &s).await;
    assert_eq!(first.aggregate, replayed);

    // Loads after more events start from it and reach what a full replay reaches.
    write_product(&*store, &s, 250, 30).await;
    let loaded = aggregates.load_aggregate(&id).await.unwrap();
    let (replayed, version_now, position_now) = full_replay(&*store, &s).await;
    assert!(version_now > version && position_now > position);
    assert_eq!(
        (loaded.aggregate, loaded.version, loaded.position),
        (replayed, version_now, position_now)
    );

    // It is used: a doctored state at the current version shows through.
    let mut doctored = first.aggregate.clone();
    if let Product::Active(state) = &mut doctored {
        state.on_hand = 424_242;
    }
    let state = serde_json::to_string(&doctored).unwrap();
    store
        .save_snapshot(snapshot(&s, version_now, Product::STATE_VERSION, &state))
        .await
        .unwrap();
    let loaded = aggregates.load_aggregate(&id).await.unwrap();
    assert_eq!(loaded.aggregate.state().unwrap().on_hand, 424_242);
    assert_eq!(loaded.version, version_now);
}

pub async fn a_snapshot_of_another_layout_is_passed_over_and_rebuilt(h: &impl Harness) {
    if !h.keeps_snapshots() {
        return;
    }
    let store = h.store();
    let id = Uuid::now_v7().to_string();
    let s = format!("{}-{id}", Product::TYPE);
    write_product(&*store, &s, 0, 120).await;
    let aggregates = AggregateStore::<Product>::new(store.clone());
    let (replayed, ..) = full_replay(&*store, &s).await;
    let mut doctored = replayed.clone();
    if let Product::Active(state) = &mut doctored {
        state.on_hand = 7;
    }
    let doctored = serde_json::to_string(&doctored).unwrap();

    let rebuilt_from_the_log = |passed_over: String| {
        let (store, aggregates, s, id, replayed) = (&store, &aggregates, &s, &id, &replayed);
        async move {
            let loaded = aggregates.load_aggregate(id).await.unwrap();
            assert_eq!((&loaded.aggregate, loaded.version), (replayed, 120));
            let rebuilt = snapshot_at(&**store, s, |k| {
                k.state_version == Product::STATE_VERSION && k.state != passed_over
            })
            .await;
            assert_eq!(rebuilt.version, 120);
            let state: Product = serde_json::from_str(&rebuilt.state).unwrap();
            assert_eq!(&state, replayed);
        }
    };

    // Another layout: passed over, and replaced by one taken from a full replay.
    let stale = snapshot(&s, 120, Product::STATE_VERSION + 1, &doctored);
    store.save_snapshot(stale).await.unwrap();
    rebuilt_from_the_log(doctored).await;

    // The current layout, but a state that does not read back (a field renamed without a
    // bump). Another layout goes first, so that it may replace the good one at 120.
    let unreadable = "{\"Active\": {\"renamed\": 1}}".to_owned();
    let other = snapshot(&s, 120, Product::STATE_VERSION + 1, "0");
    store.save_snapshot(other).await.unwrap();
    let bad = snapshot(&s, 120, Product::STATE_VERSION, &unreadable);
    store.save_snapshot(bad).await.unwrap();
    assert_eq!(
        store.load_snapshot(&s).await.unwrap().unwrap().state,
        unreadable
    );
    rebuilt_from_the_log(unreadable).await;
}

/// Appends `n` product events to `stream`, which holds `from` of them: a creation first,
/// then stock adjustments.
async fn write_product(store: &dyn EventStore, stream: &str, from: u64, n: u64) {
    let product_id = ProductId::from_uuid(Uuid::now_v7());
    let events = (from..from + n).map(|i| match i {
        0 => ProductEvent::ProductCreated {
            product_id,
            sku: Sku::parse("SKU-1").unwrap(),
            name: ProductName::parse("Thing").unwrap(),
            description: Description::parse("").unwrap(),
            category: Category::parse("things").unwrap(),
            price: Money::new(500, Currency::parse("EUR").unwrap()).unwrap(),
            initial_stock: 0,
        },
        i => ProductEvent::StockAdjusted {
            delta: 1,
            reason: Reason::parse("delivery").unwrap(),
            on_hand: i as u32,
        },
    });
    let events: Vec<NewEvent> = events
        .map(|event| {
            let (event_type, version, payload) = codec::encode(&event).unwrap();
            NewEvent::new(event_type, version, payload)
        })
        .collect();
    for (i, chunk) in events.chunks(100).enumerate() {
        let at = from + i as u64 * 100;
        let request = AppendRequest {
            stream: stream.to_owned(),
            expected: match at {
                0 => ExpectedVersion::NoStream,
                v => ExpectedVersion::Exact(v),
            },
            events: chunk.to_vec(),
            metadata: metadata(),
        };
        store.append(request).await.unwrap();
    }
}

/// The state, version and position every event of the stream gives, from the first.
async fn full_replay(store: &dyn EventStore, stream: &str) -> (Product, u64, u64) {
    let mut state = Product::default();
    let records = store.read_payloads(stream, 1).await.unwrap();
    let last = records.last().map(|r| (r.version, r.position)).unwrap();
    for record in records {
        state.apply(codec::decode(&record.event_type, record.payload).unwrap());
    }
    (state, last.0, last.1)
}

/// Waits for the snapshot a load saves in the background.
async fn snapshot_at(
    store: &dyn EventStore,
    stream: &str,
    wanted: impl Fn(&Snapshot) -> bool,
) -> Snapshot {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(kept) = store.load_snapshot(stream).await.unwrap()
            && wanted(&kept)
        {
            return kept;
        }
        assert!(Instant::now() < deadline, "no snapshot was saved");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
