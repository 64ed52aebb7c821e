//! The checks every read store backend must pass.

use infra::read_store::*;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

type Store = Arc<dyn ReadStore>;

/// A fresh collection of products with a unique name.
async fn products(store: &Store) -> String {
    let name = format!("products_{}", uuid::Uuid::now_v7().simple());
    let spec = CollectionSpec::new(
        &name,
        &["category", "price.amount", "in_stock", "name", "terms"],
    );
    store.ensure(&spec).await.unwrap();
    name
}

fn product(id: &str, name: &str, category: &str, cents: i64, in_stock: bool) -> Value {
    json!({"id": id, "name": name, "category": category, "price": {"amount": cents, "currency": "EUR"},
           "in_stock": in_stock, "terms": name.to_lowercase().split(' ').collect::<Vec<_>>()})
}

fn write(collection: &str, body: Value, position: u64) -> Write {
    Write {
        collection: collection.to_owned(),
        id: body["id"].as_str().unwrap().to_owned(),
        body: Some(body),
        position,
    }
}

async fn apply(store: &Store, projection: &str, writes: Vec<Write>, checkpoint: u64) {
    store
        .apply(Batch {
            projection: projection.to_owned(),
            writes,
            checkpoint,
        })
        .await
        .unwrap();
}

async fn seed(store: &Store, c: &str) {
    let docs = [
        product("p1", "Red mug", "kitchen", 1200, true),
        product("p2", "Blue mug", "kitchen", 900, false),
        product("p3", "Green tea", "tea", 450, true),
        product("p4", "Black tea", "tea", 900, true),
        product("p5", "Tea mug", "kitchen", 900, true),
    ];
    let writes = docs
        .into_iter()
        .enumerate()
        .map(|(i, d)| write(c, d, i as u64 + 1))
        .collect();
    apply(store, "seed", writes, 5).await;
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn all_pages(store: &Store, mut query: Query) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        let page = store.query(&query).await.unwrap();
        assert!(page.items.len() <= query.limit);
        seen.extend(ids(&page.items));
        match page.next_cursor {
            Some(cursor) => query.after = Some(cursor),
            None => return seen,
        }
    }
}

pub async fn documents_round_trip_with_their_position(store: Store) {
    let c = products(&store).await;
    let body = product("p1", "Tasse für Kaffee ☕", "kitchen", 1200, true);
    apply(&store, "t", vec![write(&c, body.clone(), 7)], 7).await;
    let doc = store.get(&c, "p1").await.unwrap().unwrap();
    assert_eq!((doc.id.as_str(), &doc.body, doc.position), ("p1", &body, 7));
    assert!(store.get(&c, "nope").await.unwrap().is_none());
    let many = store
        .get_many(&c, &["p1".into(), "nope".into()])
        .await
        .unwrap();
    assert_eq!(many.len(), 1);
    assert_eq!(many[0].body, body);
    assert!(store.get_many(&c, &[]).await.unwrap().is_empty());
    store.ping().await.unwrap();
}

pub async fn older_or_equal_positions_do_not_overwrite(store: Store) {
    let c = products(&store).await;
    apply(
        &store,
        "t",
        vec![write(&c, product("p1", "Mug", "k", 100, true), 10)],
        10,
    )
    .await;
    apply(
        &store,
        "t",
        vec![write(&c, product("p1", "Older", "k", 1, true), 9)],
        10,
    )
    .await;
    apply(
        &store,
        "t",
        vec![write(&c, product("p1", "Same", "k", 1, true), 10)],
        10,
    )
    .await;
    assert_eq!(
        store.get(&c, "p1").await.unwrap().unwrap().body["name"],
        "Mug"
    );
    apply(
        &store,
        "t",
        vec![write(&c, product("p1", "Newer", "k", 1, true), 11)],
        11,
    )
    .await;
    assert_eq!(
        store.get(&c, "p1").await.unwrap().unwrap().body["name"],
        "Newer"
    );
    let delete = |position| Write {
        collection: c.clone(),
        id: "p1".into(),
        body: None,
        position,
    };
    apply(&store, "t", vec![delete(11)], 11).await;
    assert!(
        store.get(&c, "p1").await.unwrap().is_some(),
        "a stale delete removed it"
    );
    apply(&store, "t", vec![delete(12)], 12).await;
    assert!(store.get(&c, "p1").await.unwrap().is_none());
}

pub async fn a_replayed_batch_changes_nothing(store: Store) {
    let c = products(&store).await;
    let batch = vec![
        write(&c, product("p1", "Mug", "k", 100, true), 3),
        write(&c, product("p2", "Cup", "k", 100, true), 4),
        write(&c, product("p1", "Mug v2", "k", 150, true), 5),
    ];
    apply(&store, "t", batch.clone(), 5).await;
    apply(
        &store,
        "t",
        vec![write(&c, product("p2", "Cup v2", "k", 100, true), 6)],
        6,
    )
    .await;
    // A crashed projector replays its old batch.
    apply(&store, "t", batch, 5).await;
    let docs = store
        .get_many(&c, &["p1".into(), "p2".into()])
        .await
        .unwrap();
    let mut names: Vec<_> = docs
        .iter()
        .map(|d| d.body["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    assert_eq!(names, vec!["Cup v2", "Mug v2"]);
    assert_eq!(store.checkpoint("t").await.unwrap(), 6);
}

pub async fn checkpoints_start_at_zero_and_never_move_back(store: Store) {
    let c = products(&store).await;
    let projection = format!("p{}", uuid::Uuid::now_v7().simple());
    assert_eq!(store.checkpoint(&projection).await.unwrap(), 0);
    apply(&store, &projection, vec![], 42).await;
    assert_eq!(store.checkpoint(&projection).await.unwrap(), 42);
    apply(
        &store,
        &projection,
        vec![write(&c, product("p1", "M", "k", 1, true), 40)],
        40,
    )
    .await;
    assert_eq!(store.checkpoint(&projection).await.unwrap(), 42);
}

pub async fn filters_select_by_equality_range_and_membership(store: Store) {
    let c = products(&store).await;
    seed(&store, &c).await;
    let query = |filters: Vec<Filter>| Query {
        filters,
        ..Query::all(&c, 50)
    };
    let run = |q: Query| {
        let store = store.clone();
        async move {
            let mut found = ids(&store.query(&q).await.unwrap().items);
            found.sort();
            found
        }
    };
    assert_eq!(
        run(query(vec![Filter::new("category", Op::Eq, "tea")])).await,
        ["p3", "p4"]
    );
    assert_eq!(
        run(query(vec![Filter::new("in_stock", Op::Eq, false)])).await,
        ["p2"]
    );
    assert_eq!(
        run(query(vec![
            Filter::new("price.amount", Op::Gte, 900),
            Filter::new("price.amount", Op::Lt, 1200)
        ]))
        .await,
        ["p2", "p4", "p5"]
    );
    assert_eq!(
        run(query(vec![Filter::new("price.amount", Op::Gt, 900)])).await,
        ["p1"]
    );
    assert_eq!(
        run(query(vec![Filter::new("price.amount", Op::Lte, 450)])).await,
        ["p3"]
    );
    assert_eq!(
        run(query(vec![Filter::new("terms", Op::Contains, "mug")])).await,
        ["p1", "p2", "p5"]
    );
    assert_eq!(
        run(query(vec![
            Filter::new("terms", Op::Contains, "tea"),
            Filter::new("category", Op::Eq, "kitchen")
        ]))
        .await,
        ["p5"]
    );
    assert_eq!(
        run(query(vec![Filter::new("id", Op::Eq, "p4")])).await,
        ["p4"]
    );
    assert!(
        run(query(vec![Filter::new("category", Op::Eq, "none")]))
            .await
            .is_empty()
    );
}

pub async fn sorting_breaks_ties_by_id_and_pages_cover_everything_once(store: Store) {
    let c = products(&store).await;
    seed(&store, &c).await;
    let by_price = Query {
        sort: vec![Sort::asc("price.amount")],
        ..Query::all(&c, 2)
    };
    assert_eq!(
        all_pages(&store, by_price).await,
        ["p3", "p2", "p4", "p5", "p1"]
    );
    let by_price_desc = Query {
        sort: vec![Sort::desc("price.amount")],
        ..Query::all(&c, 2)
    };
    assert_eq!(
        all_pages(&store, by_price_desc).await,
        ["p1", "p2", "p4", "p5", "p3"]
    );
    let by_category_then_name = Query {
        sort: vec![Sort::asc("category"), Sort::desc("name")],
        ..Query::all(&c, 1)
    };
    assert_eq!(
        all_pages(&store, by_category_then_name).await,
        ["p5", "p1", "p2", "p3", "p4"]
    );
    let filtered = Query {
        filters: vec![Filter::new("in_stock", Op::Eq, true)],
        sort: vec![Sort::asc("name")],
        ..Query::all(&c, 3)
    };
    assert_eq!(all_pages(&store, filtered).await, ["p4", "p3", "p1", "p5"]);
    let first = store.query(&Query::all(&c, 5)).await.unwrap();
    assert_eq!(first.items.len(), 5);
    assert!(
        first.next_cursor.is_none(),
        "an exact last page has no next cursor"
    );
}

pub async fn pagination_stays_stable_while_documents_arrive(store: Store) {
    let c = products(&store).await;
    seed(&store, &c).await;
    let mut query = Query {
        sort: vec![Sort::asc("name")],
        ..Query::all(&c, 2)
    };
    let first = store.query(&query).await.unwrap();
    assert_eq!(ids(&first.items), ["p4", "p2"]);
    // One new document sorts before the cursor (not seen again), one after it (seen).
    apply(
        &store,
        "seed",
        vec![
            write(&c, product("p6", "Amber mug", "kitchen", 100, true), 6),
            write(&c, product("p7", "Zebra cup", "kitchen", 100, true), 7),
        ],
        7,
    )
    .await;
    query.after = first.next_cursor;
    let rest = all_pages(&store, query).await;
    assert_eq!(rest, ["p3", "p1", "p5", "p7"]);
}

pub async fn invalid_queries_are_refused(store: Store) {
    let c = products(&store).await;
    let invalid = |q: Query| {
        let store = store.clone();
        async move { matches!(store.query(&q).await, Err(ReadStoreError::Invalid(_))) }
    };
    assert!(
        invalid(Query {
            filters: vec![Filter::new("secret", Op::Eq, 1)],
            ..Query::all(&c, 5)
        })
        .await
    );
    assert!(
        invalid(Query {
            sort: vec![Sort::asc("secret")],
            ..Query::all(&c, 5)
        })
        .await
    );
    assert!(
        invalid(Query {
            filters: vec![Filter::new("category", Op::Eq, json!({"$ne": 1}))],
            ..Query::all(&c, 5)
        })
        .await
    );
    assert!(
        invalid(Query {
            after: Some(Cursor::from_client("garbage")),
            ..Query::all(&c, 5)
        })
        .await
    );
    assert!(invalid(Query::all(&c, 0)).await);
    assert!(invalid(Query::all("never_ensured", 5)).await);
    let spec = CollectionSpec::new("bad name; drop", &[]);
    assert!(matches!(
        store.ensure(&spec).await,
        Err(ReadStoreError::Invalid(_))
    ));
}

pub async fn one_owner_holds_a_lease_until_it_expires(store: Store) {
    let projection = format!("lease{}", uuid::Uuid::now_v7().simple());
    let long = Duration::from_secs(60);
    assert_eq!(store.lease_holder(&projection).await.unwrap(), None);
    assert!(store.acquire_lease(&projection, "a", long).await.unwrap());
    assert!(!store.acquire_lease(&projection, "b", long).await.unwrap());
    assert!(
        store.acquire_lease(&projection, "a", long).await.unwrap(),
        "renewal"
    );
    assert_eq!(
        store.lease_holder(&projection).await.unwrap().as_deref(),
        Some("a")
    );
    store.release_lease(&projection, "b").await.unwrap();
    assert!(
        !store.acquire_lease(&projection, "b", long).await.unwrap(),
        "b cannot release a's lease"
    );
    store.release_lease(&projection, "a").await.unwrap();
    assert!(
        store
            .acquire_lease(&projection, "b", Duration::from_millis(200))
            .await
            .unwrap()
    );
    assert!(!store.acquire_lease(&projection, "a", long).await.unwrap());
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        store.lease_holder(&projection).await.unwrap(),
        None,
        "expired"
    );
    assert!(
        store.acquire_lease(&projection, "a", long).await.unwrap(),
        "after expiry"
    );
    // Many workers race for one lease: exactly one wins.
    let race = format!("race{}", uuid::Uuid::now_v7().simple());
    let tries = (0..8).map(|i| {
        let (store, race) = (store.clone(), race.clone());
        tokio::spawn(async move {
            store
                .acquire_lease(&race, &format!("w{i}"), long)
                .await
                .unwrap()
        })
    });
    let mut won = 0;
    for t in tries {
        won += usize::from(t.await.unwrap());
    }
    assert_eq!(won, 1);
}

pub async fn a_dropped_collection_is_gone(store: Store) {
    let c = products(&store).await;
    seed(&store, &c).await;
    store.drop_collection(&c).await.unwrap();
    assert!(matches!(
        store.get(&c, "p1").await,
        Err(ReadStoreError::Invalid(_))
    ));
    let spec = CollectionSpec::new(&c, &["category"]);
    store.ensure(&spec).await.unwrap();
    assert!(store.get(&c, "p1").await.unwrap().is_none());
}
