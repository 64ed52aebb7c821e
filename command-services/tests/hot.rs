//! Hot aggregates: many commands at once on one cart, from one process (they take turns and
//! never conflict) and from two (a lost race is decided again until it lands). Every add is
//! acknowledged and the cart holds them all. On SQLite, and on PostgreSQL when
//! `ECOMMERCE_TEST_POSTGRES_URL` is set (skipped, saying so, without it).

// A failed step aborts the test with its message; that is what unwrap is for here.
#![allow(clippy::unwrap_used)]

use command_services::AppState;
use command_services::executor::CommandMeta;
use domain::cart::{Cart, CartCommand};
use domain::values::{CartId, ProductId, Quantity, UserId};
use infra::auth::{Secret, Tokens};
use infra::event_store::{EventStore, StoreTarget};
use infra::sqlite::Durability;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

#[path = "pg/mod.rs"]
mod pg;
use pg::PgDatabase;

const ADDS: usize = 32;

fn process(store: &Arc<dyn EventStore>) -> AppState {
    let tokens = Tokens::new(&Secret::new("s".repeat(32)), Duration::from_secs(60)).unwrap();
    AppState::new(store.clone(), tokens)
}

/// `ADDS` concurrent adds of one unit to one cart, spread over `processes`; every one must
/// be acknowledged, and the cart must hold them all.
async fn adds_all_land(store: Arc<dyn EventStore>, processes: usize) {
    let states: Vec<AppState> = (0..processes).map(|_| process(&store)).collect();
    let cart = CartId::from_uuid(Uuid::now_v7());
    let open = CartCommand::Open {
        cart_id: cart,
        owner: UserId::from_uuid(Uuid::now_v7()),
    };
    states[0]
        .carts
        .execute(&CommandMeta::system("test"), &cart.to_string(), open)
        .await
        .unwrap();
    let product = ProductId::from_uuid(Uuid::now_v7());
    let adds: Vec<_> = (0..ADDS)
        .map(|n| {
            let state = states[n % processes].clone();
            tokio::spawn(async move {
                let add = CartCommand::AddItem {
                    product_id: product,
                    quantity: Quantity::new(1).unwrap(),
                };
                state
                    .carts
                    .execute(&CommandMeta::system("test"), &cart.to_string(), add)
                    .await
            })
        })
        .collect();
    let mut refused = Vec::new();
    for add in adds {
        if let Err(e) = add.await.unwrap() {
            refused.push(e.to_string());
        }
    }
    assert!(
        refused.is_empty(),
        "{} adds failed: {refused:?}",
        refused.len()
    );
    let Cart::Open(state) = states[0]
        .carts
        .load(&cart.to_string())
        .await
        .unwrap()
        .aggregate
    else {
        panic!("the cart is not open")
    };
    assert_eq!(state.lines[0].quantity.get() as usize, ADDS);
}

async fn sqlite(dir: &Path) -> Arc<dyn EventStore> {
    StoreTarget::Sqlite(dir.join("events.db"))
        .open(true, Durability::Normal)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_adds_to_one_cart_in_one_process_all_land_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    adds_all_land(sqlite(dir.path()).await, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_adds_to_one_cart_from_two_processes_all_land_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    adds_all_land(sqlite(dir.path()).await, 2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_adds_to_one_cart_from_two_processes_all_land_on_postgres() {
    let Some(database) = PgDatabase::create() else {
        return;
    };
    let store = StoreTarget::Postgres(database.url())
        .open(true, Durability::Normal)
        .await
        .unwrap();
    adds_all_land(store.clone(), 1).await;
    adds_all_land(store, 2).await;
}

/// A refusal decided on a state another process has since changed is decided again on the
/// fresh state; one decided on a state still current stands.
#[tokio::test]
async fn a_refusal_on_a_stale_cache_is_decided_again_and_one_on_a_current_cache_stands() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite(dir.path()).await;
    let (a, b) = (process(&store), process(&store));
    let cart = CartId::from_uuid(Uuid::now_v7()).to_string();
    let product = ProductId::from_uuid(Uuid::now_v7());
    // Each command its own id (one id for two appends would be a retry of the first).
    let meta = || CommandMeta::system("test");
    let open = CartCommand::Open {
        cart_id: cart.parse().unwrap(),
        owner: UserId::from_uuid(Uuid::now_v7()),
    };
    a.carts.execute(&meta(), &cart, open).await.unwrap();
    let remove = CartCommand::RemoveItem {
        product_id: product,
    };
    // Current cache, no such line: refused.
    let refused = a.carts.execute(&meta(), &cart, remove.clone()).await;
    assert!(refused.is_err(), "{refused:?}");
    // Another process adds the line; this one's cache still has the cart without it.
    let add = CartCommand::AddItem {
        product_id: product,
        quantity: Quantity::new(1).unwrap(),
    };
    b.carts.execute(&meta(), &cart, add).await.unwrap();
    a.carts.execute(&meta(), &cart, remove).await.unwrap();
    let Cart::Open(state) = a.carts.load(&cart).await.unwrap().aggregate else {
        panic!("the cart is not open")
    };
    assert!(state.lines.is_empty());
}

/// A busy aggregate gets a snapshot from its commands each time it passes a multiple of
/// `SNAPSHOT_EVERY` events, and another process loads the same state from it.
#[tokio::test]
async fn a_growing_aggregate_is_snapshotted_by_its_commands() {
    use infra::event_store::snapshots::SNAPSHOT_EVERY;
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite(dir.path()).await;
    let first = process(&store);
    let cart = CartId::from_uuid(Uuid::now_v7());
    let open = CartCommand::Open {
        cart_id: cart,
        owner: UserId::from_uuid(Uuid::now_v7()),
    };
    let id = cart.to_string();
    let meta = || CommandMeta::system("test");
    first.carts.execute(&meta(), &id, open).await.unwrap();
    let product = ProductId::from_uuid(Uuid::now_v7());
    let adds = SNAPSHOT_EVERY + 20;
    for _ in 0..adds {
        let add = CartCommand::AddItem {
            product_id: product,
            quantity: Quantity::new(1).unwrap(),
        };
        first.carts.execute(&meta(), &id, add).await.unwrap();
    }
    // Saved in the background, at the version the append reached, not by a load.
    let stream = format!("cart-{id}");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let snapshot = loop {
        if let Some(s) = store.load_snapshot(&stream).await.unwrap() {
            break s;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no snapshot was saved"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert_eq!(snapshot.version, SNAPSHOT_EVERY);
    let loaded = process(&store).carts.load(&id).await.unwrap();
    assert_eq!(loaded.version, adds + 1);
    let Cart::Open(state) = loaded.aggregate else {
        panic!("the cart is not open")
    };
    assert_eq!(u64::from(state.lines[0].quantity.get()), adds);
}
