//! Projection benchmark, each figure with its baseline measured in the same run:
//! - rebuild throughput of every read model from a generated log of 200,000+ events into
//!   SQLite (events/s), divided by the raw write rate of the same documents (documents/s:
//!   the very batches the rebuild wrote, written straight into a fresh store); goals: at
//!   least 50,000 events/s, ratio at least 0.5. The time the rebuild takes over the time the
//!   raw writes take is printed too;
//! - projection lag, from an append's commit to every read model having applied it, under a
//!   steady load (goal: p99 under 50 ms).
//!
//! `cargo bench -p projections --bench projections`

// A failed step aborts the run with its message; that is what unwrap is for here.
#![allow(clippy::unwrap_used)]

#[path = "../tests/scenario/mod.rs"]
mod scenario;

use async_trait::async_trait;
use infra::event_store::{EventStore, Position};
use infra::read_store::sqlite::SqliteReadStore;
use infra::read_store::*;
use infra::sqlite::Durability;
use infra::{SqliteConfig, SqliteEventStore};
use projections::models;
use projections::runtime::{Options, Positions, Projection, Projector, key};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Delegates to a store and keeps a copy of every batch written.
struct Recorder {
    inner: Arc<dyn ReadStore>,
    batches: Mutex<Vec<Batch>>,
}

#[async_trait]
impl ReadStore for Recorder {
    async fn ensure(&self, spec: &CollectionSpec) -> Result<(), ReadStoreError> {
        self.inner.ensure(spec).await
    }
    async fn drop_collection(&self, name: &str) -> Result<(), ReadStoreError> {
        self.inner.drop_collection(name).await
    }
    async fn get(&self, c: &str, id: &str) -> Result<Option<Document>, ReadStoreError> {
        self.inner.get(c, id).await
    }
    async fn get_many(&self, c: &str, ids: &[String]) -> Result<Vec<Document>, ReadStoreError> {
        self.inner.get_many(c, ids).await
    }
    async fn query(&self, q: &Query) -> Result<Page, ReadStoreError> {
        self.inner.query(q).await
    }
    async fn apply(&self, batch: Batch) -> Result<(), ReadStoreError> {
        self.batches.lock().unwrap().push(batch.clone());
        self.inner.apply(batch).await
    }
    async fn checkpoint(&self, p: &str) -> Result<Position, ReadStoreError> {
        self.inner.checkpoint(p).await
    }
    async fn acquire_lease(&self, p: &str, o: &str, t: Duration) -> Result<bool, ReadStoreError> {
        self.inner.acquire_lease(p, o, t).await
    }
    async fn release_lease(&self, p: &str, o: &str) -> Result<(), ReadStoreError> {
        self.inner.release_lease(p, o).await
    }
    async fn lease_holder(&self, p: &str) -> Result<Option<String>, ReadStoreError> {
        self.inner.lease_holder(p).await
    }
    async fn ping(&self) -> Result<(), ReadStoreError> {
        self.inner.ping().await
    }
}

fn projector(
    p: &Arc<dyn Projection>,
    events: &Arc<dyn EventStore>,
    read: Arc<dyn ReadStore>,
    positions: &Positions,
) -> Projector {
    let options = Options {
        batch_size: 1000,
        lease_ttl: Duration::from_secs(30),
        poll: Duration::from_secs(1),
    };
    Projector::new(
        p.clone(),
        events.clone(),
        read,
        positions.clone(),
        "bench",
        options,
    )
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() as f64 * q) as usize).min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = SqliteConfig::new(dir.path().join("events.db"));
    config.durability = Durability::Normal;
    let events: Arc<dyn EventStore> =
        Arc::new(SqliteEventStore::open(config, domain::schema::Upcasters::domain()).unwrap());
    let generated = Instant::now();
    scenario::shop(events.as_ref(), 500, 13_500, 42).await;
    let head = events.head().await.unwrap();
    println!(
        "generated {head} events in {:.1} s",
        generated.elapsed().as_secs_f64()
    );

    println!("rebuild of every read model into SQLite, 1,000 events per batch:");
    let (mut rebuild_total, mut raw_total, mut raw_writes) = (Duration::ZERO, Duration::ZERO, 0);
    for p in models::all() {
        let read: Arc<dyn ReadStore> =
            Arc::new(SqliteReadStore::open(dir.path().join(format!("{}.db", p.name()))).unwrap());
        let started = Instant::now();
        assert_eq!(
            projector(&p, &events, read, &Positions::default())
                .catch_up()
                .await
                .unwrap(),
            head
        );
        let rebuild = started.elapsed();
        // The same document batches, captured by a second rebuild, written straight in.
        let recorder = Arc::new(Recorder {
            inner: Arc::new(
                SqliteReadStore::open(dir.path().join(format!("{}-rec.db", p.name()))).unwrap(),
            ),
            batches: Mutex::new(Vec::new()),
        });
        projector(&p, &events, recorder.clone(), &Positions::default())
            .catch_up()
            .await
            .unwrap();
        let raw_store =
            SqliteReadStore::open(dir.path().join(format!("{}-raw.db", p.name()))).unwrap();
        for spec in projections::runtime::specs(p.as_ref()) {
            raw_store.ensure(&spec).await.unwrap();
        }
        let batches = std::mem::take(&mut *recorder.batches.lock().unwrap());
        let writes: usize = batches.iter().map(|b| b.writes.len()).sum();
        let started = Instant::now();
        for batch in batches {
            raw_store.apply(batch).await.unwrap();
        }
        let raw = started.elapsed();
        let (rate, raw_rate) = (
            head as f64 / rebuild.as_secs_f64(),
            writes as f64 / raw.as_secs_f64(),
        );
        println!(
            "  {:<10} {:>9.0} events/s   raw: {:>6} documents at {:>7.0}/s   ratio {:>5.2}   time ratio {:.2}",
            p.name(),
            rate,
            writes,
            raw_rate,
            rate / raw_rate,
            raw.as_secs_f64() / rebuild.as_secs_f64()
        );
        rebuild_total += rebuild;
        raw_total += raw;
        raw_writes += writes;
    }
    let (rate, raw_rate) = (
        head as f64 * 8.0 / rebuild_total.as_secs_f64(),
        raw_writes as f64 / raw_total.as_secs_f64(),
    );
    println!(
        "  all        {:>9.0} events/s   raw: {:>6} documents at {:>7.0}/s   ratio {:>5.2}   time ratio {:.2}   (goals: >= 50,000 events/s, ratio >= 0.5)",
        rate,
        raw_writes,
        raw_rate,
        rate / raw_rate,
        raw_total.as_secs_f64() / rebuild_total.as_secs_f64()
    );

    // Lag: every read model follows the log live while orders arrive at a steady pace.
    let live: Arc<dyn ReadStore> =
        Arc::new(SqliteReadStore::open(dir.path().join("live.db")).unwrap());
    let positions = Positions::default();
    let (stop, stopped) = watch::channel(false);
    let all = models::all();
    for p in &all {
        tokio::spawn(projector(p, &events, live.clone(), &positions).run(stopped.clone()));
    }
    for p in &all {
        let mut w = positions.watch(&key(p.as_ref())).unwrap();
        tokio::time::timeout(Duration::from_secs(600), w.wait_for(|pos| *pos >= head))
            .await
            .unwrap()
            .unwrap();
    }
    let keys: Vec<String> = all.iter().map(|p| key(p.as_ref())).collect();
    let lags = Arc::new(Mutex::new(Vec::new()));
    let mut ticker = tokio::time::interval(Duration::from_millis(5));
    let mut writer = scenario::Writer::new(events.as_ref());
    let mut world = scenario::world(&mut writer, 50, 7).await;
    let mut waiters = Vec::new();
    for order in 0..1000 {
        ticker.tick().await;
        world.order(&mut writer, order).await;
        let committed = Instant::now();
        let position = events.head().await.unwrap();
        let (positions, keys, lags) = (positions.clone(), keys.clone(), lags.clone());
        waiters.push(tokio::spawn(async move {
            for k in keys {
                let mut w = positions.watch(&k).unwrap();
                let _ = w.wait_for(|p| *p >= position).await;
            }
            lags.lock().unwrap().push(committed.elapsed());
        }));
    }
    for w in waiters {
        w.await.unwrap();
    }
    stop.send(true).unwrap();
    let mut lags = std::mem::take(&mut *lags.lock().unwrap());
    lags.sort();
    println!(
        "projection lag, commit to applied by all 8 read models, 1,000 orders at one per 5 ms: p50 {:.1} ms   p99 {:.1} ms   (goal: p99 < 50 ms)",
        percentile(&lags, 0.5).as_secs_f64() * 1e3,
        percentile(&lags, 0.99).as_secs_f64() * 1e3
    );
}
