//! Commands to one aggregate share the store's commits: the next command is decided on the
//! state the last one left as soon as its append is handed to the store, before it is
//! durable. And an append decided on a state whose own append then fails is refused, even
//! when another writer's event has taken that state's version.
//!
//! The store here holds every append's answer until the test opens a gate, so "handed over
//! before durable" is observed, not timed. On SQLite, and on PostgreSQL when
//! `ECOMMERCE_TEST_POSTGRES_URL` is set (skipped, saying so, without it).

// A failed step aborts the test with its message; that is what unwrap is for here.
#![allow(clippy::unwrap_used)]

#[path = "gated/mod.rs"]
mod gated;
#[path = "pg/mod.rs"]
mod pg;

use command_services::AppState;
use command_services::executor::CommandMeta;
use domain::cart::{Cart, CartCommand};
use domain::values::*;
use gated::Gated;
use infra::auth::{Secret, Tokens};
use infra::event_store::aggregates::stream_name;
use infra::event_store::{EventStore, StoreTarget};
use infra::sqlite::Durability;
use pg::PgDatabase;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

fn process(store: Arc<dyn EventStore>) -> AppState {
    let tokens = Tokens::new(&Secret::new("s".repeat(32)), Duration::from_secs(60)).unwrap();
    AppState::new(store, tokens)
}

async fn sqlite(dir: &std::path::Path) -> Arc<dyn EventStore> {
    StoreTarget::Sqlite(dir.join("events.db"))
        .open(true, Durability::Normal)
        .await
        .unwrap()
}

fn add(product: ProductId) -> CartCommand {
    CartCommand::AddItem {
        product_id: product,
        quantity: Quantity::new(1).unwrap(),
    }
}

async fn run(s: &AppState, cart: CartId, command: CartCommand) {
    s.carts
        .execute(&CommandMeta::system("test"), &cart.to_string(), command)
        .await
        .unwrap();
}

async fn postgres(database: &PgDatabase) -> Arc<dyn EventStore> {
    StoreTarget::Postgres(database.url())
        .open(true, Durability::Normal)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_command_is_decided_before_the_last_one_is_durable_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    decided_before_durable(sqlite(dir.path()).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_command_is_decided_before_the_last_one_is_durable_on_postgres() {
    let Some(database) = PgDatabase::create() else {
        return;
    };
    decided_before_durable(postgres(&database).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_append_decided_on_one_that_failed_is_refused_though_its_version_is_free_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    refused_after_a_failed_one(sqlite(dir.path()).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_append_decided_on_one_that_failed_is_refused_though_its_version_is_free_on_postgres() {
    let Some(database) = PgDatabase::create() else {
        return;
    };
    refused_after_a_failed_one(postgres(&database).await).await;
}

async fn decided_before_durable(store: Arc<dyn EventStore>) {
    let gated = Arc::new(Gated::new(store));
    let s = process(gated.clone());
    let cart = CartId::from_uuid(Uuid::now_v7());
    gated.open();
    let owner = UserId::from_uuid(Uuid::now_v7());
    run(
        &s,
        cart,
        CartCommand::Open {
            cart_id: cart,
            owner,
        },
    )
    .await;
    gated.close();
    let product = ProductId::from_uuid(Uuid::now_v7());
    let adds: Vec<_> = (0..3)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move { run(&s, cart, add(product)).await })
        })
        .collect();
    // All three appends reach the store while none of them is durable: each was decided
    // on the one before it. Taking turns until commit would hand over only the first.
    gated.wait_for_handed(4).await;
    gated.open();
    for add in adds {
        add.await.unwrap();
    }
    let Cart::Open(state) = s.carts.load(&cart.to_string()).await.unwrap().aggregate else {
        panic!("the cart is not open")
    };
    assert_eq!(state.lines[0].quantity.get(), 3);
}

async fn refused_after_a_failed_one(store: Arc<dyn EventStore>) {
    let gated = Arc::new(Gated::new(store.clone()));
    let (mine, other) = (process(gated.clone()), process(store));
    let cart = CartId::from_uuid(Uuid::now_v7());
    let (first, second, third) = (
        ProductId::from_uuid(Uuid::now_v7()),
        ProductId::from_uuid(Uuid::now_v7()),
        ProductId::from_uuid(Uuid::now_v7()),
    );
    gated.open();
    let owner = UserId::from_uuid(Uuid::now_v7());
    run(
        &mine,
        cart,
        CartCommand::Open {
            cart_id: cart,
            owner,
        },
    )
    .await;
    run(&mine, cart, add(first)).await;
    gated.close();
    // Another process checks the cart out: version 3, which this process has not seen.
    let address: Address = serde_json::from_value(serde_json::json!({"name": "Ann",
        "line1": "Main St 1", "city": "Berlin", "postal_code": "10115", "country": "DE"}))
    .unwrap();
    let price = Money::new(1000, Currency::parse("EUR").unwrap()).unwrap();
    let checkout = CartCommand::CheckOut {
        order_id: OrderId::from_uuid(Uuid::now_v7()),
        lines: vec![OrderLine::price(first, Quantity::new(1).unwrap(), price).unwrap()],
        shipping_address: address,
        payment_method: PaymentMethod::parse("card").unwrap(),
    };
    run(&other, cart, checkout).await;
    // This process adds twice on its cached (open) cart: the first add expects version 2
    // and fails; the second is decided on the first's state and must not land as version 3
    // on top of the checkout.
    let meta = CommandMeta::system("test");
    let adds: Vec<_> = [second, third]
        .into_iter()
        .map(|product| {
            let (s, meta) = (mine.clone(), meta.clone());
            tokio::spawn(async move {
                s.carts
                    .execute(&meta, &cart.to_string(), add(product))
                    .await
            })
        })
        .collect();
    gated.wait_for_handed(4).await;
    gated.open();
    for add in adds {
        let refused = add.await.unwrap().unwrap_err();
        assert!(
            refused.to_string().contains("checked out"),
            "refused for another reason: {refused}"
        );
    }
    let stream = stream_name::<Cart>(&cart.to_string());
    let events = gated.read_stream(&stream, 1).await.unwrap();
    let types: Vec<_> = events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(types.last(), Some(&"CartCheckedOut"), "{types:?}");
    assert_eq!(events.len(), 3, "{types:?}");
}
