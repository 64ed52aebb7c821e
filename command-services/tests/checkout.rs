//! The checkout process without HTTP: payment expiry under tokio's paused clock, and a crash
//! at every step of a checkout followed by a restart.

// A failed step aborts the test with its message; that is what unwrap is for here.
#![allow(clippy::unwrap_used)]

use command_services::AppState;
use command_services::checkout::provider::TestProvider;
use command_services::checkout::{Checkout, Options};
use command_services::executor::CommandMeta;
use domain::cart::CartCommand;
use domain::order::{Order, OrderStatus};
use domain::product::{Product, ProductCommand};
use domain::values::*;
use infra::auth::{Secret, Tokens};
use infra::event_store::*;
use infra::read_store::ReadStore;
use infra::read_store::sqlite::SqliteReadStore;
use infra::sqlite::Durability;
use infra::{SqliteConfig, SqliteEventStore};
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;
use uuid::Uuid;

mod crashing;
use crashing::Crashing;

struct World {
    _dir: tempfile::TempDir,
    store: Arc<dyn EventStore>,
    read: Arc<dyn ReadStore>,
    provider: Arc<TestProvider>,
    product: ProductId,
    order: OrderId,
}

fn tokens() -> Tokens {
    Tokens::new(&Secret::new("s".repeat(32)), Duration::from_secs(60)).unwrap()
}

fn state(store: Arc<dyn EventStore>, provider: &Arc<TestProvider>) -> AppState {
    AppState::with_provider(store, tokens(), provider.clone())
}

/// A product with 5 units and a checked-out cart of 2 of them, paid with `method`.
async fn world(method: &str) -> World {
    let dir = tempfile::tempdir().unwrap();
    let mut config = SqliteConfig::new(dir.path().join("events.db"));
    config.durability = Durability::Normal;
    let store: Arc<dyn EventStore> =
        Arc::new(SqliteEventStore::open(config, domain::schema::Upcasters::domain()).unwrap());
    let read: Arc<dyn ReadStore> =
        Arc::new(SqliteReadStore::open(dir.path().join("read.db")).unwrap());
    let provider = Arc::new(TestProvider::default());
    let s = state(store.clone(), &provider);
    let meta = CommandMeta::system("test");
    let product = ProductId::from_uuid(Uuid::now_v7());
    s.products
        .execute(
            &meta,
            &product.to_string(),
            ProductCommand::Create {
                product_id: product,
                sku: Sku::parse("MUG-1").unwrap(),
                name: ProductName::parse("Mug").unwrap(),
                description: Description::parse("").unwrap(),
                category: Category::parse("kitchen").unwrap(),
                price: Money::new(1000, Currency::parse("EUR").unwrap()).unwrap(),
                initial_stock: 5,
            },
        )
        .await
        .unwrap();
    let (cart, order) = (
        CartId::from_uuid(Uuid::now_v7()),
        OrderId::from_uuid(Uuid::now_v7()),
    );
    let quantity = Quantity::new(2).unwrap();
    let address: Address =
        serde_json::from_value(serde_json::json!({"name": "Ann", "line1": "Main St 1",
        "city": "Berlin", "postal_code": "10115", "country": "DE"}))
        .unwrap();
    for command in [
        CartCommand::Open {
            cart_id: cart,
            owner: UserId::from_uuid(Uuid::now_v7()),
        },
        CartCommand::AddItem {
            product_id: product,
            quantity,
        },
        CartCommand::CheckOut {
            order_id: order,
            lines: vec![
                OrderLine::price(
                    product,
                    quantity,
                    Money::new(1000, Currency::parse("EUR").unwrap()).unwrap(),
                )
                .unwrap(),
            ],
            shipping_address: address,
            payment_method: PaymentMethod::parse(method).unwrap(),
        },
    ] {
        s.carts
            .execute(&CommandMeta::system("test"), &cart.to_string(), command)
            .await
            .unwrap();
    }
    World {
        _dir: dir,
        store,
        read,
        provider,
        product,
        order,
    }
}

async fn order_status(w: &World, s: &AppState) -> (Option<OrderStatus>, Option<String>) {
    let order: Order = s.orders.load(&w.order.to_string()).await.unwrap().aggregate;
    let Some(order) = order.state().cloned() else {
        return (None, None);
    };
    (
        Some(order.status),
        order.closing_reason.map(|r| r.to_string()),
    )
}

async fn reserved(w: &World, s: &AppState) -> u32 {
    let product: Product = s
        .products
        .load(&w.product.to_string())
        .await
        .unwrap()
        .aggregate;
    product.state().unwrap().reserved()
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn an_order_waiting_for_payment_past_the_timeout_is_cancelled_and_its_stock_released() {
    let w = world("pm_card_unavailable").await;
    let s = state(w.store.clone(), &w.provider);
    let options = Options {
        retries: 1_000_000,
        backoff: Duration::from_secs(1),
        max_backoff: Duration::from_secs(1),
        payment_timeout: Duration::from_secs(60),
        ..Options::default()
    };
    let checkout = Checkout::new(
        s.clone(),
        w.read.clone(),
        w.provider.clone(),
        options,
        "worker",
    );
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let started = tokio::time::Instant::now();
    let worker = tokio::spawn(checkout.run(stopped));
    // Paused time moves only as the tasks wait: a wait of minutes takes no real time.
    let mut waited = 0;
    while order_status(&w, &s).await.0 != Some(OrderStatus::Cancelled)
        || reserved(&w, &s).await != 0
    {
        assert!(
            waited < 600,
            "not cancelled after {waited} simulated seconds: {:?}",
            order_status(&w, &s).await
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
        waited += 1;
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_secs(60),
        "cancelled before the timeout: {elapsed:?}"
    );
    assert_eq!(
        order_status(&w, &s).await.1.as_deref(),
        Some("payment not completed in time")
    );
    let attempts = w
        .provider
        .calls()
        .iter()
        .filter(|c| c.operation == "authorize")
        .count();
    assert!(
        attempts >= 30,
        "the provider was retried meanwhile ({attempts} attempts)"
    );
    assert!(w.provider.effective("authorize").is_empty());
    stop.send(true).unwrap();
    worker.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_at_any_step_then_a_restart_completes_the_checkout_once() {
    // A checkout to paid makes nine appends; die at each, before and after committing it.
    for appends in 0..10 {
        for commit_then_die in [false, true] {
            let w = world("pm_card_ok").await;
            let crashing: Arc<dyn EventStore> = Arc::new(Crashing {
                inner: w.store.clone(),
                appends_left: AtomicUsize::new(appends),
                commit_then_die,
            });
            let first = Checkout::new(
                state(crashing, &w.provider),
                w.read.clone(),
                w.provider.clone(),
                Options::default(),
                "first",
            );
            let crashed = first.catch_up().await.is_err();
            assert_eq!(crashed, appends < 9, "appends {appends}");
            // The restarted process: new caches, same stores.
            let s = state(w.store.clone(), &w.provider);
            Checkout::new(
                s.clone(),
                w.read.clone(),
                w.provider.clone(),
                Options::default(),
                "second",
            )
            .catch_up()
            .await
            .unwrap();
            let case = format!("crash at append {appends}, after commit: {commit_then_die}");
            assert_eq!(
                order_status(&w, &s).await.0,
                Some(OrderStatus::Paid),
                "{case}"
            );
            assert_eq!(reserved(&w, &s).await, 2, "{case}: one reservation");
            assert_eq!(
                w.provider.effective("authorize").len(),
                1,
                "{case}: one authorization"
            );
            assert_eq!(
                w.provider.effective("capture").len(),
                1,
                "{case}: one capture"
            );
            let payment = format!(
                "payment-{}",
                command_services::checkout::steps::payment_of(w.order)
            );
            let kinds: Vec<_> = w
                .store
                .read_stream(&payment, 1)
                .await
                .unwrap()
                .into_iter()
                .map(|e| e.event_type)
                .collect();
            assert_eq!(
                kinds,
                ["PaymentRequested", "PaymentAuthorized", "PaymentCaptured"],
                "{case}"
            );
            let shipment = format!(
                "shipment-{}",
                command_services::checkout::steps::shipment_of(w.order)
            );
            assert_eq!(
                w.store.read_stream(&shipment, 1).await.unwrap().len(),
                1,
                "{case}: one shipment"
            );
            let product = w
                .store
                .read_stream(&format!("product-{}", w.product), 1)
                .await
                .unwrap();
            assert_eq!(
                product
                    .iter()
                    .filter(|e| e.event_type == "StockReserved")
                    .count(),
                1,
                "{case}"
            );
        }
    }
}
