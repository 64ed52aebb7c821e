//! (d) Loading a product of 100,000 events after a restart: a popular product, whose stream
//! gets a reservation and its release for every order. A full replay of the log, against a
//! load that starts from the stream's snapshot (goal: under 10 ms).

use cqrs_es::EventStore as _;
use domain::product::{Product, ProductEvent};
use domain::values::*;
use infra::event_store::{
    AggregateStore, AppendRequest, EventMetadata, EventStore, ExpectedVersion, NewEvent, codec,
};
use infra::{SqliteConfig, SqliteEventStore};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Events in the stream.
pub const EVENTS: u64 = 100_000;
const PER_APPEND: u64 = 1_000;
const RUNS: u32 = 20;

fn event(i: u64, product_id: ProductId) -> ProductEvent {
    // Reserved by event 2k - 1 and released by event 2k: the state stays small.
    let order_id = OrderId::from_uuid(Uuid::from_u128(u128::from(i.div_ceil(2))));
    match i {
        0 => ProductEvent::ProductCreated {
            product_id,
            sku: Sku::parse("POPULAR-1").unwrap(),
            name: ProductName::parse("Popular").unwrap(),
            description: Description::parse("").unwrap(),
            category: Category::parse("bench").unwrap(),
            price: Money::new(100, Currency::parse("EUR").unwrap()).unwrap(),
            initial_stock: 1_000,
        },
        i if i % 2 == 1 => ProductEvent::StockReserved {
            order_id,
            quantity: 1,
            reserved: 1,
        },
        _ => ProductEvent::ReservationReleased {
            order_id,
            quantity: 1,
            reason: Reason::parse("payment declined").unwrap(),
            reserved: 0,
        },
    }
}

async fn write(store: &dyn EventStore, stream: &str, product_id: ProductId) {
    for first in (0..EVENTS).step_by(PER_APPEND as usize) {
        let events = (first..first + PER_APPEND)
            .map(|i| {
                let (event_type, version, payload) = codec::encode(&event(i, product_id)).unwrap();
                NewEvent::new(event_type, version, payload)
            })
            .collect();
        let request = AppendRequest {
            stream: stream.to_owned(),
            expected: match first {
                0 => ExpectedVersion::NoStream,
                v => ExpectedVersion::Exact(v),
            },
            events,
            metadata: EventMetadata::new(chrono::Utc::now()),
        };
        store.append(request).await.unwrap();
    }
}

fn reopen(path: &Path) -> Arc<SqliteEventStore> {
    let config = SqliteConfig::new(path);
    Arc::new(SqliteEventStore::open(config, domain::schema::Upcasters::domain()).unwrap())
}

/// The time to open the store and answer its first read, the first load of `id` on it, and
/// the median of the next loads.
async fn load(path: &Path, id: &str) -> (Duration, Duration, Duration) {
    let started = Instant::now();
    let store = reopen(path);
    store.head().await.unwrap();
    let opened = started.elapsed();
    let aggregates = AggregateStore::<Product>::new(store);
    let mut times = Vec::new();
    for _ in 0..=RUNS {
        let started = Instant::now();
        let loaded = aggregates.load_aggregate(id).await.unwrap();
        times.push(started.elapsed());
        assert_eq!(loaded.version, EVENTS);
    }
    let first = times.remove(0);
    times.sort();
    (opened, first, times[times.len() / 2])
}

/// Prints (d).
pub async fn run(dir: &Path) {
    let path = dir.join("d.db");
    let id = Uuid::now_v7();
    let stream = format!("product-{id}");
    write(&*reopen(&path), &stream, ProductId::from_uuid(id)).await;

    // No snapshot yet: the first load replays everything (and leaves one behind).
    let store = reopen(&path);
    let started = Instant::now();
    AggregateStore::<Product>::new(store.clone())
        .load_aggregate(&id.to_string())
        .await
        .unwrap();
    let replay = started.elapsed();
    let deadline = Instant::now() + Duration::from_secs(30);
    while store.load_snapshot(&stream).await.unwrap().is_none() {
        assert!(Instant::now() < deadline, "no snapshot was saved");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    drop(store);
    let (opened, first, median) = load(&path, &id.to_string()).await;
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "(d) load a product of {EVENTS} events after a restart: full replay {:.1} ms; from \
         its snapshot {:.2} ms the first time (goal < 10 ms; {:.1} ms more to open the \
         store), then {:.3} ms; {:.0}x faster",
        ms(replay),
        ms(first),
        ms(opened),
        ms(median),
        ms(replay) / ms(first)
    );
}
