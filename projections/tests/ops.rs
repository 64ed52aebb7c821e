//! Projection operations on real SQLite stores: a blue/green rebuild under load that readers
//! never see half-built, an interrupted rebuild that resumes, and poison events that park a
//! projection until an operator retries or skips them.

// A failed step aborts the test with its message; that is what unwrap is for here.
#![allow(clippy::unwrap_used)]

mod scenario;

use domain::schema::Upcasters;
use infra::event_store::{EventStore, Position, RecordedEvent};
use infra::read_store::sqlite::SqliteReadStore;
use infra::read_store::{Query, ReadStore};
use infra::{SqliteConfig, SqliteEventStore};
use projections::models::catalog::{Catalog, PRODUCTS};
use projections::ops::rebuild::{Outcome, Rebuild};
use projections::ops::state::OpsState;
use projections::ops::status::{ProjectionStatus, State, status};
use projections::ops::{self, OpsError, skip};
use projections::runtime::*;
use projections::testkit::dump;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

struct World {
    _dir: tempfile::TempDir,
    events: Arc<dyn EventStore>,
    read: Arc<dyn ReadStore>,
    ops: OpsState,
}

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let read: Arc<dyn ReadStore> =
        Arc::new(SqliteReadStore::open(dir.path().join("read.db")).unwrap());
    world_on(dir, read).await
}

/// The log in a SQLite file in `dir`, the read models in `read`.
async fn world_on(dir: tempfile::TempDir, read: Arc<dyn ReadStore>) -> World {
    let events = SqliteEventStore::open(
        SqliteConfig::new(dir.path().join("events.db")),
        Upcasters::domain(),
    )
    .unwrap();
    let ops = OpsState::open(read.clone()).await.unwrap();
    World {
        _dir: dir,
        events: Arc::new(events),
        read,
        ops,
    }
}

fn options(batch_size: usize) -> Options {
    Options {
        batch_size,
        lease_ttl: Duration::from_secs(3),
        poll: Duration::from_millis(50),
    }
}

/// A live worker. Its lease is renewed every 40 s, longer than [`until`] waits, so a test
/// that sees it follow a version switch saw it follow at once, not at its next renewal.
fn worker(w: &World, p: Arc<dyn Projection>, positions: &Positions, v: &Versions) -> Projector {
    let options = Options {
        lease_ttl: Duration::from_secs(120),
        ..options(50)
    };
    Projector::new(
        p,
        w.events.clone(),
        w.read.clone(),
        positions.clone(),
        "live",
        options,
    )
    .live(v.clone(), w.ops.clone())
}

/// A fresh build of `projection` at a scratch version, to compare with.
async fn fresh(w: &World, projection: Arc<dyn Projection>) -> Projector {
    let fresh = Projector::new(
        projection,
        w.events.clone(),
        w.read.clone(),
        Positions::default(),
        "fresh",
        options(500),
    )
    .at_version(99);
    fresh.catch_up().await.unwrap();
    fresh
}

async fn until<F: Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !check().await {
        assert!(std::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn catalog_status(w: &World, p: &Arc<dyn Projection>) -> ProjectionStatus {
    status(&w.ops, w.events.as_ref(), std::slice::from_ref(p))
        .await
        .unwrap()
        .remove(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebuild_under_load_switches_readers_to_a_complete_version() {
    rebuild_under_load(world().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_rebuild_resumes_and_ends_like_a_fresh_one() {
    interrupted_rebuild(world().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rebuilds_under_load_and_resumed_on_mongodb() {
    let Some(mut mongo) = scenario::mongo::Mongo::from_env() else {
        return;
    };
    let read = mongo.store("ops_load").await;
    rebuild_under_load(world_on(tempfile::tempdir().unwrap(), read).await).await;
    let read = mongo.store("ops_resume").await;
    interrupted_rebuild(world_on(tempfile::tempdir().unwrap(), read).await).await;
    mongo.finish("projections-mongo-ops").await;
}

async fn rebuild_under_load(w: World) {
    scenario::shop(w.events.as_ref(), 40, 150, 7).await;
    let (positions, versions) = (Positions::default(), Versions::default());
    let catalog: Arc<dyn Projection> = Arc::new(Catalog);
    let (stop, stopped) = watch::channel(false);
    tokio::spawn(worker(&w, catalog.clone(), &positions, &versions).run(stopped.clone()));
    let head = w.events.head().await.unwrap();
    until("live caught up", || async {
        positions.position("catalog_v1") >= head
    })
    .await;
    // Readers query without pause through the switch; they must never see fewer products
    // than existed before the rebuild began, nor an error.
    let before = dump(w.read.as_ref(), &Catalog, 1).await.unwrap().len();
    let reads = Arc::new(AtomicUsize::new(0));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (read, versions, reads, stopped) = (
                w.read.clone(),
                versions.clone(),
                reads.clone(),
                stopped.clone(),
            );
            tokio::spawn(async move {
                while !*stopped.borrow() {
                    let name = versions.collection(&Catalog, PRODUCTS);
                    let page = read.query(&Query::all(&name, 100)).await;
                    let seen = page.unwrap_or_else(|e| panic!("{name}: {e}")).items.len();
                    assert!(seen >= before, "{name} showed {seen} of {before} products");
                    reads.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    // And the log keeps growing during the rebuild.
    let events = w.events.clone();
    let writer = tokio::spawn(async move { scenario::shop(events.as_ref(), 5, 60, 8).await });
    let mut job = Rebuild::new(
        catalog.clone(),
        w.events.clone(),
        w.ops.clone(),
        "rebuilder",
    );
    job.versions = Some(versions.clone());
    job.positions = positions.clone();
    job.options = options(40);
    job.grace = Duration::from_millis(300);
    let plan = job.plan().await.unwrap();
    assert_eq!((plan.from, plan.to, plan.start), (1, 2, 0));
    let (_keep, never) = watch::channel(false);
    let outcome = job.run(plan, |_| {}, never).await.unwrap();
    assert!(matches!(outcome, Outcome::Switched { from: 1, to: 2, .. }));
    assert_eq!(versions.version(&Catalog), 2);
    writer.await.unwrap();
    // The live worker follows version 2 to the new head.
    let head = w.events.head().await.unwrap();
    until("live follows version 2", || async {
        positions.position("catalog_v2") >= head
    })
    .await;
    stop.send(true).unwrap();
    for reader in readers {
        reader.await.unwrap();
    }
    assert!(reads.load(Ordering::Relaxed) > 10, "the readers ran");
    fresh(&w, catalog.clone()).await;
    let (live, rebuilt) = (
        dump(w.read.as_ref(), &Catalog, 2).await.unwrap(),
        dump(w.read.as_ref(), &Catalog, 99).await.unwrap(),
    );
    assert!(live.len() > before);
    assert_eq!(live, rebuilt, "the switched version equals a fresh rebuild");
    assert!(
        !matches!(w.read.get("products_v1", "x").await, Ok(Some(_))),
        "version 1 is dropped"
    );
    let status = catalog_status(&w, &catalog).await;
    assert_eq!((status.version, status.position), (2, head));
}

async fn interrupted_rebuild(w: World) {
    scenario::shop(w.events.as_ref(), 20, 80, 3).await;
    let catalog: Arc<dyn Projection> = Arc::new(Catalog);
    let job = |owner: &str| {
        let mut job = Rebuild::new(catalog.clone(), w.events.clone(), w.ops.clone(), owner);
        job.options = options(25);
        job.grace = Duration::from_millis(10);
        job
    };
    let first = job("first");
    let plan = first.plan().await.unwrap();
    assert!(
        matches!(job("second").plan().await, Err(OpsError::Busy(_))),
        "one rebuild at a time"
    );
    let (stop_tx, stop) = watch::channel(false);
    let interrupted = first
        .run(
            plan,
            |_| {
                stop_tx.send_replace(true);
            },
            stop,
        )
        .await
        .unwrap();
    let Outcome::Interrupted { version, position } = interrupted else {
        panic!("{interrupted:?}");
    };
    assert_eq!(version, 2);
    assert!(position > 0 && position < w.events.head().await.unwrap());
    let seen = catalog_status(&w, &catalog).await;
    assert_eq!(seen.state, State::Rebuilding);
    assert_eq!(seen.version, 1, "readers stay on version 1");
    assert_eq!(seen.rebuild.as_ref().map(|r| r.position), Some(position));
    let again = job("again");
    let plan = again.plan().await.unwrap();
    assert_eq!(
        (plan.to, plan.start),
        (2, position),
        "resumes where it stopped"
    );
    let (_keep, never) = watch::channel(false);
    let done = again.run(plan, |_| {}, never).await.unwrap();
    assert!(matches!(done, Outcome::Switched { to: 2, .. }));
    fresh(&w, catalog.clone()).await;
    let resumed = dump(w.read.as_ref(), &Catalog, 2).await.unwrap();
    assert!(!resumed.is_empty());
    assert_eq!(resumed, dump(w.read.as_ref(), &Catalog, 99).await.unwrap());
}

/// The catalog, failing on products whose SKU is listed.
struct Fragile {
    poison: Arc<Mutex<HashSet<String>>>,
    failures: AtomicBool,
}

impl Projection for Fragile {
    fn name(&self) -> &'static str {
        Catalog.name()
    }
    fn collections(&self) -> Vec<(&'static str, Vec<&'static str>)> {
        Catalog.collections()
    }
    fn event_types(&self) -> Vec<&'static str> {
        Catalog.event_types()
    }
    fn keys(&self, event: &RecordedEvent) -> Vec<Key> {
        Catalog.keys(event)
    }
    fn apply(&self, event: &RecordedEvent, docs: &mut Docs) -> Result<(), ApplyError> {
        let sku = event.payload["sku"].as_str().unwrap_or_default();
        if self.poison.lock().unwrap().contains(sku) {
            self.failures.store(true, Ordering::SeqCst);
            return Err(ApplyError::Broken(format!("cannot index {sku}")));
        }
        Catalog.apply(event, docs)
    }
}

async fn parked_at(w: &World, p: &Arc<dyn Projection>) -> Position {
    until("parked", || async {
        catalog_status(w, p).await.state == State::Parked
    })
    .await;
    catalog_status(w, p).await.parked.unwrap().position
}

async fn sku_at(w: &World, position: Position) -> String {
    let event = w.events.read_all(position - 1, 1).await.unwrap().remove(0);
    event.payload["sku"].as_str().unwrap().to_owned()
}

async fn products(w: &World) -> HashSet<String> {
    let docs = dump(w.read.as_ref(), &Catalog, 1).await.unwrap();
    docs.values()
        .map(|d| d["sku"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_event_parks_the_projection_until_it_is_retried_or_skipped() {
    let w = world().await;
    let poison = Arc::new(Mutex::new(HashSet::from(["SKU-2-0".to_owned()])));
    let fragile: Arc<dyn Projection> = Arc::new(Fragile {
        poison: poison.clone(),
        failures: AtomicBool::new(false),
    });
    let mut writer = scenario::Writer::new(w.events.as_ref());
    for seed in [1, 2, 3] {
        scenario::world(&mut writer, 1, seed).await;
    }
    let (positions, versions) = (Positions::default(), Versions::default());
    let (stop, stopped) = watch::channel(false);
    tokio::spawn(worker(&w, fragile.clone(), &positions, &versions).run(stopped));
    let at = parked_at(&w, &fragile).await;
    assert_eq!(sku_at(&w, at).await, "SKU-2-0");
    let parked = catalog_status(&w, &fragile).await;
    assert_eq!(
        parked.position,
        at - 1,
        "applies what came before, never moves past the event"
    );
    let parked = parked.parked.unwrap();
    assert_eq!(parked.position, at);
    assert!(parked.error.contains("cannot index SKU-2-0"));
    assert_eq!(products(&w).await, HashSet::from(["SKU-1-0".to_owned()]));
    let wrong = ops::skip_parked(&w.ops, w.events.as_ref(), "catalog", at + 1, "no", "op");
    assert!(matches!(wrong.await, Err(OpsError::Refused(_))));
    assert!(matches!(
        ops::retry(&w.ops, "nothing").await,
        Err(OpsError::Unknown(_))
    ));

    // Fixed, then retried: the projection continues.
    poison.lock().unwrap().clear();
    assert_eq!(ops::retry(&w.ops, "catalog").await.unwrap(), vec![at]);
    let head = w.events.head().await.unwrap();
    until("caught up after the retry", || async {
        positions.position("catalog_v1") >= head
    })
    .await;
    assert_eq!(products(&w).await.len(), 3);
    assert!(matches!(
        ops::retry(&w.ops, "catalog").await,
        Err(OpsError::Refused(_))
    ));

    // A second poison event, skipped: recorded in the log with who and why.
    poison.lock().unwrap().insert("SKU-4-0".into());
    for seed in [4, 5] {
        scenario::world(&mut writer, 1, seed).await;
    }
    let at = parked_at(&w, &fragile).await;
    assert_eq!(sku_at(&w, at).await, "SKU-4-0");
    ops::skip_parked(
        &w.ops,
        w.events.as_ref(),
        "catalog",
        at,
        "bad import",
        "operator:alice",
    )
    .await
    .unwrap();
    let head = w.events.head().await.unwrap();
    until("caught up after the skip", || async {
        positions.position("catalog_v1") >= head
    })
    .await;
    let skus = products(&w).await;
    assert!(
        skus.contains("SKU-5-0") && !skus.contains("SKU-4-0"),
        "{skus:?}"
    );
    let skips = w.events.read_stream(&skip::stream("catalog"), 1).await;
    let skips = skips.unwrap();
    assert_eq!(skips.len(), 1);
    assert_eq!(skips[0].event_type, skip::SKIPPED);
    assert_eq!(skips[0].metadata.user_id.as_deref(), Some("operator:alice"));
    assert_eq!(skips[0].payload["reason"], "bad import");
    assert_eq!(skips[0].payload["position"], at);
    assert_eq!(catalog_status(&w, &fragile).await.state, State::Running);
    // A rebuild meets the same poison event and skips it too.
    let rebuilt = fresh(&w, fragile.clone()).await;
    assert_eq!(rebuilt.version(), 99);
    let docs = dump(w.read.as_ref(), &Catalog, 99).await.unwrap();
    assert_eq!(docs, dump(w.read.as_ref(), &Catalog, 1).await.unwrap());
    stop.send(true).unwrap();
}
