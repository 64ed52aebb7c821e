//! The projector runtime on real stores: live equals rebuilt, a crash between documents and
//! checkpoint replays harmlessly, one worker holds a lease.

// A failed step aborts the test with its message; that is what unwrap is for here.
#![allow(clippy::unwrap_used)]

mod scenario;

use async_trait::async_trait;
use domain::schema::Upcasters;
use infra::event_store::{EventStore, Position};
use infra::read_store::sqlite::SqliteReadStore;
use infra::read_store::*;
use infra::{SqliteConfig, SqliteEventStore};
use projections::models;
use projections::runtime::{Options, Positions, Projection, Projector, key};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::watch;

struct Stores {
    _dir: tempfile::TempDir,
    events: Arc<dyn EventStore>,
    dir: std::path::PathBuf,
}

fn stores() -> Stores {
    let dir = tempfile::tempdir().unwrap();
    let events = SqliteEventStore::open(
        SqliteConfig::new(dir.path().join("events.db")),
        Upcasters::domain(),
    )
    .unwrap();
    Stores {
        dir: dir.path().to_owned(),
        _dir: dir,
        events: Arc::new(events),
    }
}

fn read_store(stores: &Stores, name: &str) -> Arc<dyn ReadStore> {
    Arc::new(SqliteReadStore::open(stores.dir.join(name)).unwrap())
}

fn projector(
    p: &Arc<dyn Projection>,
    events: &Arc<dyn EventStore>,
    read: &Arc<dyn ReadStore>,
    positions: &Positions,
    owner: &str,
    batch: usize,
) -> Projector {
    let options = Options {
        batch_size: batch,
        lease_ttl: Duration::from_secs(5),
        poll: Duration::from_millis(200),
    };
    Projector::new(
        p.clone(),
        events.clone(),
        read.clone(),
        positions.clone(),
        owner,
        options,
    )
}

/// Every document of every collection of a projection, by collection and id.
async fn dump(read: &Arc<dyn ReadStore>, p: &dyn Projection) -> BTreeMap<(String, String), Value> {
    projections::testkit::dump(read.as_ref(), p, p.version())
        .await
        .unwrap()
}

async fn wait_until(positions: &Positions, key: &str, position: Position) {
    let mut watch = positions.watch(key).unwrap();
    tokio::time::timeout(Duration::from_secs(30), watch.wait_for(|p| *p >= position))
        .await
        .expect("the projector caught up")
        .unwrap();
}

/// Runs every projector live while the log grows, then rebuilds each from position 0 into
/// `rebuilt` and compares every document.
async fn live_equals_rebuilt(s: &Stores, live: Arc<dyn ReadStore>, rebuilt: Arc<dyn ReadStore>) {
    let positions = Positions::default();
    let (stop, stopped) = watch::channel(false);
    let projections = models::all();
    for p in &projections {
        tokio::spawn(projector(p, &s.events, &live, &positions, "live", 50).run(stopped.clone()));
    }
    // Events arrive while the projectors run.
    scenario::shop(s.events.as_ref(), 12, 60, 7).await;
    let head = s.events.head().await.unwrap();
    for p in &projections {
        wait_until(&positions, &key(p.as_ref()), head).await;
    }
    for p in &projections {
        let fresh = projector(
            p,
            &s.events,
            &rebuilt,
            &Positions::default(),
            "rebuild",
            333,
        );
        assert_eq!(fresh.catch_up().await.unwrap(), head);
        let (a, b) = (
            dump(&live, p.as_ref()).await,
            dump(&rebuilt, p.as_ref()).await,
        );
        assert!(!a.is_empty(), "{} has no documents", p.name());
        assert_eq!(a, b, "{} differs after a rebuild", p.name());
        assert_eq!(live.checkpoint(&key(p.as_ref())).await.unwrap(), head);
    }
    stop.send(true).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebuild_from_zero_equals_the_live_read_model_for_every_projection() {
    let s = stores();
    let (live, rebuilt) = (read_store(&s, "live.db"), read_store(&s, "rebuilt.db"));
    live_equals_rebuilt(&s, live, rebuilt).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebuild_from_zero_equals_the_live_read_model_on_mongodb() {
    let Some(mut mongo) = scenario::mongo::Mongo::from_env() else {
        return;
    };
    let (live, rebuilt) = (mongo.store("live").await, mongo.store("rebuilt").await);
    live_equals_rebuilt(&stores(), live, rebuilt).await;
    mongo.finish("projections-mongo-rebuild").await;
}

/// A read store whose next `crashes` batches die before their checkpoint: having written
/// all their documents, or (`half`) every other one of them, a different half each time.
/// MongoDB can die halfway through a batch; SQLite cannot, but the projections must not
/// depend on which.
struct Crashing {
    inner: Arc<dyn ReadStore>,
    crashes: AtomicUsize,
    half: bool,
}

#[async_trait]
impl ReadStore for Crashing {
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
    async fn apply(&self, mut batch: Batch) -> Result<(), ReadStoreError> {
        let left = self.crashes.load(Ordering::SeqCst);
        if left == 0 {
            return self.inner.apply(batch).await;
        }
        self.crashes.store(left - 1, Ordering::SeqCst);
        if self.half {
            batch
                .writes
                .sort_by(|a, b| (&a.collection, &a.id).cmp(&(&b.collection, &b.id)));
            let writes = std::mem::take(&mut batch.writes);
            batch.writes = writes
                .into_iter()
                .enumerate()
                .filter(|(n, _)| (n + left).is_multiple_of(2))
                .map(|(_, w)| w)
                .collect();
        }
        batch.checkpoint = self.inner.checkpoint(&batch.projection).await?;
        self.inner.apply(batch).await?;
        Err(ReadStoreError::Unavailable(
            "crashed before the checkpoint".into(),
        ))
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_projector_killed_between_documents_and_checkpoint_ends_like_a_rebuild() {
    let s = stores();
    scenario::shop(s.events.as_ref(), 6, 30, 11).await;
    let head = s.events.head().await.unwrap();
    for p in models::all() {
        let store = read_store(&s, &format!("{}-crash.db", p.name()));
        let crashing: Arc<dyn ReadStore> = Arc::new(Crashing {
            inner: store.clone(),
            crashes: AtomicUsize::new(3),
            half: false,
        });
        let first = projector(&p, &s.events, &crashing, &Positions::default(), "first", 40);
        // Three batches write their documents and lose their checkpoints.
        for _ in 0..3 {
            assert!(first.catch_up().await.is_err());
        }
        // A bigger batch after the restart: the replay covers the crashed batches and more.
        let restarted = projector(&p, &s.events, &store, &Positions::default(), "second", 100);
        assert_eq!(restarted.catch_up().await.unwrap(), head);
        let rebuilt = read_store(&s, &format!("{}-rebuilt.db", p.name()));
        projector(
            &p,
            &s.events,
            &rebuilt,
            &Positions::default(),
            "rebuild",
            1000,
        )
        .catch_up()
        .await
        .unwrap();
        assert_eq!(
            dump(&store, p.as_ref()).await,
            dump(&rebuilt, p.as_ref()).await,
            "{}",
            p.name()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_projector_killed_in_the_middle_of_a_batchs_documents_ends_like_a_rebuild() {
    let s = stores();
    scenario::shop(s.events.as_ref(), 6, 30, 13).await;
    let head = s.events.head().await.unwrap();
    for p in models::all() {
        let store = read_store(&s, &format!("{}-half.db", p.name()));
        let crashing: Arc<dyn ReadStore> = Arc::new(Crashing {
            inner: store.clone(),
            crashes: AtomicUsize::new(6),
            half: true,
        });
        // Batches of different sizes die halfway, each leaving another half written.
        for batch in [40, 25, 60, 35, 80, 50] {
            let first = projector(
                &p,
                &s.events,
                &crashing,
                &Positions::default(),
                "first",
                batch,
            );
            assert!(first.catch_up().await.is_err());
        }
        let restarted = projector(&p, &s.events, &store, &Positions::default(), "second", 100);
        assert_eq!(restarted.catch_up().await.unwrap(), head);
        let rebuilt = read_store(&s, &format!("{}-half-rebuilt.db", p.name()));
        projector(
            &p,
            &s.events,
            &rebuilt,
            &Positions::default(),
            "rebuild",
            1000,
        )
        .catch_up()
        .await
        .unwrap();
        assert_eq!(
            dump(&store, p.as_ref()).await,
            dump(&rebuilt, p.as_ref()).await,
            "{}",
            p.name()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_workers_started_at_once_one_holds_the_lease_and_the_result_is_right() {
    let s = stores();
    let read = read_store(&s, "read.db");
    let catalog: Arc<dyn Projection> = Arc::new(models::catalog::Catalog);
    let (a, b) = (Positions::default(), Positions::default());
    let (stop, stopped) = watch::channel(false);
    tokio::spawn(projector(&catalog, &s.events, &read, &a, "worker-a", 20).run(stopped.clone()));
    tokio::spawn(projector(&catalog, &s.events, &read, &b, "worker-b", 20).run(stopped.clone()));
    scenario::shop(s.events.as_ref(), 8, 20, 3).await;
    let head = s.events.head().await.unwrap();
    let k = key(catalog.as_ref());
    // The leader publishes its position just after writing it; wait for that.
    tokio::time::timeout(Duration::from_secs(30), async {
        while a.position(&k) < head && b.position(&k) < head {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap();
    assert_eq!(read.checkpoint(&k).await.unwrap(), head);
    let (pa, pb) = (a.position(&k), b.position(&k));
    assert!(
        (pa == head) ^ (pb == head),
        "exactly one worker applied the log: {pa} {pb}"
    );
    assert_eq!(pa.min(pb), 0, "the standby worker applied nothing");
    assert!(
        !read
            .acquire_lease(&k, "intruder", Duration::from_secs(5))
            .await
            .unwrap()
    );
    let rebuilt = read_store(&s, "rebuilt.db");
    projector(
        &catalog,
        &s.events,
        &rebuilt,
        &Positions::default(),
        "rebuild",
        500,
    )
    .catch_up()
    .await
    .unwrap();
    assert_eq!(
        dump(&read, catalog.as_ref()).await,
        dump(&rebuilt, catalog.as_ref()).await
    );
    stop.send(true).unwrap();
}
