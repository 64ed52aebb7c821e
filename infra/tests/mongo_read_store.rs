//! The MongoDB read store against the read store conformance suite, plus checks of its stored
//! form and of a replay after a crash. The server comes from `ECOMMERCE_TEST_MONGODB_URI`
//! (unset: every test prints a notice and passes); each test gets its own database, dropped
//! at the end. When `ECOMMERCE_TEST_MARKERS` names a folder, each test that ran to its end
//! against the server leaves a file there, so CI can prove the suite was not skipped.
//! `ECOMMERCE_TEST_MONGODB_FIELD_ONLY_INDEXES=1` indexes fields without `_id`, for nx-27017
//! (see `FieldIndexes::FieldOnly`); a real MongoDB runs with the default shape.

// A failed step aborts the test with its message; that is what unwrap is for here.
#![allow(clippy::unwrap_used)]

mod proxy;
mod read_store_conformance;

use infra::read_store::mongo::{FieldIndexes, MongoReadStore, MongoSettings};
use infra::read_store::*;
use mongodb::bson::{Bson, doc};
use serde_json::{Value, json};
use std::sync::Arc;

const URI: &str = "ECOMMERCE_TEST_MONGODB_URI";
const MARKERS: &str = "ECOMMERCE_TEST_MARKERS";

/// The index shape for this server (see the module doc).
fn field_indexes() -> FieldIndexes {
    match std::env::var("ECOMMERCE_TEST_MONGODB_FIELD_ONLY_INDEXES").as_deref() {
        Ok("1") => FieldIndexes::FieldOnly,
        _ => FieldIndexes::WithId,
    }
}

/// Drops the test's database, then leaves a marker when the test did not fail.
struct TestDatabase {
    uri: String,
    name: String,
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (uri, name) = (self.uri.clone(), self.name.clone());
        // The test's runtime is busy dropping us: a thread with its own runtime and client.
        let dropped = std::thread::spawn(move || -> Result<(), String> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime
                .block_on(async {
                    let client = mongodb::Client::with_uri_str(&uri).await?;
                    client.database(&name).drop().await
                })
                .map_err(|e| e.to_string())
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test database {}: {dropped:?}", self.name);
        }
        if let Some(dir) = std::env::var_os(MARKERS).filter(|_| !std::thread::panicking()) {
            let test = std::thread::current().name().unwrap_or("test").to_owned();
            let file = std::path::Path::new(&dir).join(format!("mongo-{}", self.name));
            std::fs::write(file, test).unwrap();
        }
    }
}

async fn fresh_mongo() -> Option<(MongoReadStore, TestDatabase)> {
    let Some(uri) = std::env::var(URI).ok().filter(|u| !u.is_empty()) else {
        eprintln!("skipping: {URI} is not set");
        return None;
    };
    let name = format!("test_{}", uuid::Uuid::now_v7().simple());
    let settings = MongoSettings {
        database: Some(name.clone()),
        field_indexes: field_indexes(),
    };
    let store = MongoReadStore::connect_with(&uri, settings).await.unwrap();
    Some((store, TestDatabase { uri, name }))
}

async fn fresh() -> Option<(Arc<dyn ReadStore>, read_store_conformance::Guard)> {
    let (store, database) = fresh_mongo().await?;
    Some((Arc::new(store), Box::new(database)))
}

read_store_suite!(fresh);

fn put(collection: &str, id: &str, name: &str, position: u64) -> Write {
    Write {
        collection: collection.to_owned(),
        id: id.to_owned(),
        body: Some(json!({"id": id, "name": name, "stock": position})),
        position,
    }
}

fn delete(collection: &str, id: &str, position: u64) -> Write {
    Write {
        collection: collection.to_owned(),
        id: id.to_owned(),
        body: None,
        position,
    }
}

/// What a projector writes for a small log, batch by batch, with each batch's checkpoint.
fn batches(c: &str) -> Vec<(Vec<Write>, u64)> {
    vec![
        (vec![put(c, "a", "A", 1), put(c, "b", "B", 2)], 2),
        (
            vec![
                put(c, "a", "A2", 3),
                put(c, "c", "C", 4),
                delete(c, "b", 5),
                put(c, "c", "C2", 6),
                delete(c, "a", 7),
                put(c, "d", "D", 8),
            ],
            8,
        ),
        (vec![put(c, "a", "A3", 9), put(c, "d", "D2", 10)], 10),
    ]
}

async fn apply(store: &MongoReadStore, projection: &str, writes: Vec<Write>, checkpoint: u64) {
    let batch = Batch {
        projection: projection.to_owned(),
        writes,
        checkpoint,
    };
    store.apply(batch).await.unwrap();
}

/// Every document of a collection, with its position.
async fn contents(store: &MongoReadStore, c: &str) -> Vec<(Value, u64)> {
    let ids: Vec<String> = (store.query(&Query::all(c, 100)).await.unwrap().items.iter())
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect();
    let mut docs = store.get_many(c, &ids).await.unwrap();
    docs.sort_by(|x, y| x.id.cmp(&y.id));
    docs.into_iter().map(|d| (d.body, d.position)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crashes_between_documents_and_checkpoint_then_replays_match_a_rebuild() {
    let Some((store, _database)) = fresh_mongo().await else {
        return;
    };
    let (live, rebuilt) = ("live", "rebuilt");
    for name in [live, rebuilt] {
        store
            .ensure(&CollectionSpec::new(name, &["name"]))
            .await
            .unwrap();
    }
    for (writes, checkpoint) in batches(rebuilt) {
        apply(&store, "rebuild", writes, checkpoint).await;
    }
    let mut previous = 0;
    for (writes, checkpoint) in batches(live) {
        // Killed after part of the documents, then after all of them: the checkpoint
        // stayed behind both times, and the restarted projector replays the whole batch.
        apply(
            &store,
            "live",
            writes[..writes.len() / 2].to_vec(),
            previous,
        )
        .await;
        apply(&store, "live", writes.clone(), previous).await;
        assert_eq!(store.checkpoint("live").await.unwrap(), previous);
        apply(&store, "live", writes, checkpoint).await;
        previous = checkpoint;
    }
    let expected = contents(&store, rebuilt).await;
    let names: Vec<&Value> = expected.iter().map(|(body, _)| &body["name"]).collect();
    assert_eq!(
        names,
        ["A3", "C2", "D2"],
        "b was deleted, a deleted then put back"
    );
    assert_eq!(contents(&store, live).await, expected);
    assert_eq!(store.checkpoint("live").await.unwrap(), 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_are_stored_by_id_with_their_position_and_indexed_per_field() {
    let Some((store, _database)) = fresh_mongo().await else {
        return;
    };
    let spec = CollectionSpec::new("products", &["category", "price.amount"]);
    store.ensure(&spec).await.unwrap();
    let body = json!({"id": "p1", "category": "tea", "price": {"amount": 450}});
    let write = Write {
        collection: "products".into(),
        id: "p1".into(),
        body: Some(body),
        position: 7,
    };
    apply(&store, "t", vec![write], 7).await;
    let raw = store
        .database()
        .collection::<mongodb::bson::Document>("products");
    let stored = raw.find_one(doc! {}).await.unwrap().unwrap();
    // As JSON: nx-27017 gives small 64-bit integers back as 32-bit ones.
    let stored = Bson::Document(stored).into_relaxed_extjson();
    let expected = json!({"_id": "p1", "id": "p1", "category": "tea",
                          "price": {"amount": 450}, "_pos": 7});
    assert_eq!(stored, expected);
    let mut keys = Vec::new();
    let mut indexes = raw.list_indexes().await.unwrap();
    while indexes.advance().await.unwrap() {
        keys.push(indexes.deserialize_current().unwrap().keys);
    }
    for field in ["category", "price.amount"] {
        let mut key = doc! { field: 1 };
        if field_indexes() == FieldIndexes::WithId {
            key.insert("_id", 1);
        }
        assert!(keys.contains(&key), "{key} missing from {keys:?}");
    }
}

/// Once the store has found the server gone (through a proxy the test stops), calls fail at
/// once instead of each waiting out server selection, and the store finds the server again
/// by itself when it is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_store_found_down_fails_fast_and_recovers() {
    use std::time::{Duration, Instant};
    let Some(uri) = std::env::var(URI).ok().filter(|u| !u.is_empty()) else {
        eprintln!("skipping: {URI} is not set");
        return;
    };
    let name = format!("test_{}", uuid::Uuid::now_v7().simple());
    let (_, target) = proxy::through(&uri, 0, 27017);
    let running = proxy::Proxy::start(0, target).await;
    let (proxied, _) = proxy::through(&uri, running.port, 27017);
    let settings = MongoSettings {
        database: Some(name.clone()),
        field_indexes: field_indexes(),
    };
    let store = ReadBreaker::wrap(Arc::new(
        MongoReadStore::connect_with(&proxied, settings)
            .await
            .unwrap(),
    ));
    let _database = TestDatabase { uri, name };
    assert_eq!(store.checkpoint("p").await.unwrap(), 0);

    let port = running.stop().await;
    let first = store.checkpoint("p").await;
    assert!(
        matches!(first, Err(ReadStoreError::Unavailable(_))),
        "{first:?}"
    );
    for _ in 0..5 {
        let started = Instant::now();
        let answer = store.checkpoint("p").await;
        assert!(
            matches!(answer, Err(ReadStoreError::Unavailable(_))),
            "{answer:?}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "a call to a store known down took {:?}",
            started.elapsed()
        );
    }

    let _back = proxy::Proxy::start(port, target).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match store.checkpoint("p").await {
            Ok(position) => {
                assert_eq!(position, 0);
                break;
            }
            Err(e) => {
                assert!(Instant::now() < deadline, "never recovered: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}
