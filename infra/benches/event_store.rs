//! Event store benchmark: our SQLite store against raw SQLite doing the same writes with the
//! same durability, measured in the same run so that the ratios hold on a noisy machine.
//!
//! `cargo bench -p infra --bench event_store` prints:
//! - (a) batched appends (100 events per append) ÷ raw inserts of the same rows, 100 per
//!   transaction (goal ≥ 0.5);
//! - (b) single-event appends from 32 concurrent tasks ÷ raw inserts with one commit per
//!   event (goal ≥ 3.0: group commit);
//! - (c) the time to load an aggregate of 1,000 events;
//! - (d) the time to load a product of 100,000 events after a restart, from its snapshot and
//!   by a full replay ([`long_stream`]; goal < 10 ms);
//!
//! then the side-by-side table of [`side_by_side`]: SQLite, and when
//! `ECOMMERCE_BENCH_POSTGRES_URL` is set our PostgreSQL store and postgres-es 0.5 on that
//! server (goal: ours ≥ 2× postgres-es on the 32-task single-event commands).

// A failed step aborts the run with its message; that is what unwrap is for here.
#![allow(clippy::unwrap_used)]

use cqrs_es::EventStore as _;
use domain::product::ProductCommand;
use domain::schema::Upcasters;
use domain::values::*;
use infra::event_store::{
    AggregateStore, AppendRequest, EventMetadata, EventStore, ExpectedVersion, NewEvent,
};
use infra::{SqliteConfig, SqliteEventStore};
use rusqlite::{Connection, params};
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

#[path = "event_store/long_stream.rs"]
mod long_stream;
#[path = "event_store/side_by_side.rs"]
mod side_by_side;
use side_by_side::Figure;

const BATCH: usize = 100;
const BATCHED_EVENTS: usize = 20_000;
const TASKS: usize = 32;
const CONCURRENT_EVENTS: usize = 3_200;
const RAW_SINGLE_EVENTS: usize = 1_000;

pub fn payload(i: usize) -> serde_json::Value {
    serde_json::json!({
        "order_id": Uuid::from_u128(i as u128),
        "quantity": i % 7 + 1,
        "reason": "restock from the bench",
    })
}

fn metadata() -> EventMetadata {
    EventMetadata::new(chrono::Utc::now())
}

fn open(dir: &std::path::Path, name: &str) -> Arc<SqliteEventStore> {
    Arc::new(
        SqliteEventStore::open(SqliteConfig::new(dir.join(name)), Upcasters::domain()).unwrap(),
    )
}

/// A table holding the same columns without our indexes, hash chain or bookkeeping.
fn raw(dir: &std::path::Path, name: &str) -> Connection {
    let conn = Connection::open(dir.join(name)).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "FULL").unwrap();
    conn.execute_batch(
        "CREATE TABLE raw (position INTEGER PRIMARY KEY, stream TEXT, version INTEGER,
                           event_id BLOB, event_type TEXT, payload TEXT, metadata TEXT)",
    )
    .unwrap();
    conn
}

fn raw_inserts(conn: &mut Connection, events: usize, per_commit: usize) -> Duration {
    let metadata = serde_json::to_string(&metadata()).unwrap();
    let started = Instant::now();
    let mut i = 0;
    while i < events {
        let tx = conn.transaction().unwrap();
        {
            let mut insert = tx
                .prepare_cached("INSERT INTO raw VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
                .unwrap();
            for _ in 0..per_commit.min(events - i) {
                insert
                    .execute(params![
                        i as i64 + 1,
                        format!("bench-{}", i / per_commit),
                        (i % per_commit) as i64 + 1,
                        Uuid::now_v7().as_bytes(),
                        "StockAdjusted",
                        serde_json::to_string(&payload(i)).unwrap(),
                        metadata,
                    ])
                    .unwrap();
                i += 1;
            }
        }
        tx.commit().unwrap();
    }
    started.elapsed()
}

async fn batched_appends(store: &SqliteEventStore) -> Duration {
    let started = Instant::now();
    for b in 0..BATCHED_EVENTS / BATCH {
        let events = (0..BATCH)
            .map(|i| NewEvent::new("StockAdjusted", 1, payload(b * BATCH + i)))
            .collect();
        store
            .append(AppendRequest {
                stream: format!("bench-{b}"),
                expected: ExpectedVersion::NoStream,
                events,
                metadata: metadata(),
            })
            .await
            .unwrap();
    }
    started.elapsed()
}

async fn concurrent_appends(store: Arc<SqliteEventStore>) -> Duration {
    let started = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|t| {
            let store = store.clone();
            tokio::spawn(async move {
                for i in 0..CONCURRENT_EVENTS / TASKS {
                    store
                        .append(AppendRequest {
                            stream: format!("task-{t}"),
                            expected: ExpectedVersion::Exact(i as u64),
                            events: vec![NewEvent::new("StockAdjusted", 1, payload(i))],
                            metadata: metadata(),
                        })
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    started.elapsed()
}

async fn aggregate_load(store: Arc<SqliteEventStore>) -> Duration {
    let aggregates = AggregateStore::<domain::product::Product>::new(store);
    let id = Uuid::now_v7();
    let create = ProductCommand::Create {
        product_id: ProductId::from_uuid(id),
        sku: Sku::parse("BENCH-1").unwrap(),
        name: ProductName::parse("Bench").unwrap(),
        description: Description::parse("").unwrap(),
        category: Category::parse("bench").unwrap(),
        price: Money::new(100, Currency::parse("EUR").unwrap()).unwrap(),
        initial_stock: 0,
    };
    aggregates
        .execute(&id.to_string(), create, &(), Default::default())
        .await
        .unwrap();
    for _ in 1..1000 {
        let restock = ProductCommand::AdjustStock {
            delta: 1,
            reason: Reason::parse("bench").unwrap(),
        };
        aggregates
            .execute(&id.to_string(), restock, &(), Default::default())
            .await
            .unwrap();
    }
    const RUNS: u32 = 20;
    let started = Instant::now();
    for _ in 0..RUNS {
        let loaded = aggregates.load_aggregate(&id.to_string()).await.unwrap();
        assert_eq!(loaded.version, 1000);
    }
    started.elapsed() / RUNS
}

fn rate(events: usize, took: Duration) -> f64 {
    events as f64 / took.as_secs_f64()
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    println!(
        "event store benchmark (SQLite, WAL, synchronous=FULL), in {}",
        dir.path().display()
    );

    let ours = batched_appends(&open(dir.path(), "a.db")).await;
    let base = raw_inserts(&mut raw(dir.path(), "a-raw.db"), BATCHED_EVENTS, BATCH);
    let (ours_a, raw_a) = (rate(BATCHED_EVENTS, ours), rate(BATCHED_EVENTS, base));
    println!(
        "(a) batched appends:   {ours_a:>9.0} events/s   raw inserts: {raw_a:>9.0} events/s   \
         ratio {:.2} (goal >= 0.5)",
        ours_a / raw_a
    );

    let ours = concurrent_appends(open(dir.path(), "b.db")).await;
    let base = raw_inserts(&mut raw(dir.path(), "b-raw.db"), RAW_SINGLE_EVENTS, 1);
    let (ours_b, raw_b) = (rate(CONCURRENT_EVENTS, ours), rate(RAW_SINGLE_EVENTS, base));
    println!(
        "(b) 32 tasks, 1 event: {ours_b:>9.0} events/s   raw commit/event: {raw_b:>6.0} events/s   \
         ratio {:.2} (goal >= 3.0)",
        ours_b / raw_b
    );

    let load = aggregate_load(open(dir.path(), "c.db")).await;
    println!(
        "(c) load an aggregate of 1,000 events: {:.2} ms",
        load.as_secs_f64() * 1e3
    );

    long_stream::run(dir.path()).await;

    side_by_side(dir.path()).await;
}

fn cell(figure: Option<Figure>) -> String {
    match figure {
        Some(f) => format!("{:>8.0}/s  p99 {:>6.2} ms", f.rate, f.p99_ms),
        None => format!("{:>26}", "-"),
    }
}

async fn measure(store: Arc<dyn EventStore>) -> [Figure; 4] {
    [
        side_by_side::appends(store.clone()).await,
        side_by_side::commands(store.clone()).await,
        side_by_side::executor_commands(store.clone()).await,
        side_by_side::batched(store).await,
    ]
}

async fn side_by_side(dir: &std::path::Path) {
    let sqlite = measure(open(dir, "side.db")).await;
    let (mut postgres, mut baseline) = (None, None);
    match std::env::var("ECOMMERCE_BENCH_POSTGRES_URL") {
        Ok(server) => {
            let url = side_by_side::fresh_database(&server, "ours").await;
            let store = infra::PgEventStore::open(infra::PgConfig::new(url), Upcasters::domain())
                .await
                .unwrap();
            postgres = Some(measure(Arc::new(store)).await);
            let url = side_by_side::fresh_database(&server, "postgres_es").await;
            let run = tokio::task::spawn_blocking(move || side_by_side::postgres_es(&url));
            baseline = Some(run.await.unwrap());
            side_by_side::drop_databases(&server).await;
        }
        Err(_) => println!(
            "PostgreSQL skipped: set ECOMMERCE_BENCH_POSTGRES_URL=postgres://... to compare it \
             and postgres-es"
        ),
    }
    println!(
        "\n{:<34}{:>28}{:>28}{:>28}",
        "workload", "SQLite (ours)", "PostgreSQL (ours)", "postgres-es 0.5"
    );
    let tasks = side_by_side::TASKS;
    // postgres-es has one way to run a command, so both command rows compare with it.
    let rows = [
        (format!("{tasks} tasks, 1-event appends"), 0),
        (format!("{tasks} tasks, 1-event commands"), 1),
        ("the same through our Executor".to_owned(), 1),
        (format!("appends of {} events", side_by_side::BATCH_SIZE), 2),
    ];
    for (i, (row, base)) in rows.iter().enumerate() {
        println!(
            "{row:<34}  {}  {}  {}",
            cell(Some(sqlite[i])),
            cell(postgres.map(|p| p[i])),
            cell(baseline.map(|b| b[*base]))
        );
    }
    if let (Some(ours), Some(base)) = (postgres, baseline) {
        let ratio = |i: usize| ours[i].rate / base[rows[i].1].rate;
        println!(
            "PostgreSQL ours ÷ postgres-es (goal >= 2.0 on single events from {tasks} tasks): \
             appends {:.2}, commands {:.2}, commands through our Executor {:.2}, batched {:.2}",
            ratio(0),
            ratio(1),
            ratio(2),
            ratio(3)
        );
    }
}
