//! The checkout process with many orders at once: it handles them concurrently, and a crash
//! in the middle followed by a restart still gives every order exactly one reservation, one
//! authorization, one capture and one shipment (or, for a declined card, one rejection that
//! gives its stock back).

// A failed step aborts the test with its message; that is what unwrap is for here.
#![allow(clippy::unwrap_used)]

use command_services::AppState;
use command_services::checkout::provider::TestProvider;
use command_services::checkout::steps::{payment_of, shipment_of};
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
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::{Duration, Instant};
use uuid::Uuid;

mod crashing;
use crashing::Crashing;

const ORDERS: usize = 60;
const STOCK: u32 = 1_000;

fn state(store: Arc<dyn EventStore>, provider: &Arc<TestProvider>) -> AppState {
    let tokens = Tokens::new(&Secret::new("s".repeat(32)), Duration::from_secs(60)).unwrap();
    AppState::with_provider(store, tokens, provider.clone())
}

fn eur(amount: i64) -> Money {
    Money::new(amount, Currency::parse("EUR").unwrap()).unwrap()
}

async fn product(s: &AppState, sku: &str) -> ProductId {
    let id = ProductId::from_uuid(Uuid::now_v7());
    let create = ProductCommand::Create {
        product_id: id,
        sku: Sku::parse(sku).unwrap(),
        name: ProductName::parse("Thing").unwrap(),
        description: Description::parse("").unwrap(),
        category: Category::parse("things").unwrap(),
        price: eur(1000),
        initial_stock: STOCK,
    };
    let meta = CommandMeta::system("test");
    s.products
        .execute(&meta, &id.to_string(), create)
        .await
        .unwrap();
    id
}

/// Checks out a cart of `lines` paid with `method`, and answers its order.
async fn checkout(s: &AppState, lines: &[(ProductId, u32)], method: &str) -> OrderId {
    let (cart, order) = (
        CartId::from_uuid(Uuid::now_v7()),
        OrderId::from_uuid(Uuid::now_v7()),
    );
    let address: Address = serde_json::from_value(serde_json::json!({"name": "Ann",
        "line1": "Main St 1", "city": "Berlin", "postal_code": "10115", "country": "DE"}))
    .unwrap();
    let mut commands = vec![CartCommand::Open {
        cart_id: cart,
        owner: UserId::from_uuid(Uuid::now_v7()),
    }];
    let mut priced = Vec::new();
    for &(product_id, n) in lines {
        let quantity = Quantity::new(n).unwrap();
        commands.push(CartCommand::AddItem {
            product_id,
            quantity,
        });
        priced.push(OrderLine::price(product_id, quantity, eur(1000)).unwrap());
    }
    commands.push(CartCommand::CheckOut {
        order_id: order,
        lines: priced,
        shipping_address: address,
        payment_method: PaymentMethod::parse(method).unwrap(),
    });
    for command in commands {
        let meta = CommandMeta::system("test");
        s.carts
            .execute(&meta, &cart.to_string(), command)
            .await
            .unwrap();
    }
    order
}

fn types(events: &[RecordedEvent]) -> Vec<&str> {
    events.iter().map(|e| e.event_type.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_orders_at_once_with_a_crash_in_the_middle_complete_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = SqliteConfig::new(dir.path().join("events.db"));
    config.durability = Durability::Normal;
    let store: Arc<dyn EventStore> =
        Arc::new(SqliteEventStore::open(config, domain::schema::Upcasters::domain()).unwrap());
    let read: Arc<dyn ReadStore> =
        Arc::new(SqliteReadStore::open(dir.path().join("read.db")).unwrap());
    let provider = Arc::new(TestProvider::default());
    let s = state(store.clone(), &provider);
    let (a, b) = (product(&s, "A-1").await, product(&s, "B-1").await);

    // Every fifth order is declined; the others are paid. Each has its own quantities.
    let mut orders = Vec::new();
    for i in 0..ORDERS {
        let declined = i % 5 == 4;
        let method = if declined {
            "pm_card_declined"
        } else {
            "pm_card_ok"
        };
        let lines = [(a, 1 + (i % 3) as u32), (b, 1 + (i % 2) as u32)];
        orders.push((checkout(&s, &lines, method).await, lines, declined));
    }

    // The first process dies halfway: its appends fail from the 200th on, the first failing
    // one after it committed (its answer lost).
    let crashing: Arc<dyn EventStore> = Arc::new(Crashing {
        inner: store.clone(),
        appends_left: AtomicUsize::new(200),
        commit_then_die: true,
    });
    let options = Options::default();
    let first = Checkout::new(
        state(crashing, &provider),
        read.clone(),
        provider.clone(),
        options,
        "first",
    );
    assert!(first.catch_up().await.is_err(), "the first process died");
    let unfinished = {
        let mut n = 0;
        for (order, ..) in &orders {
            let loaded: Order = s.orders.load(&order.to_string()).await.unwrap().aggregate;
            let status = loaded.state().map(|o| o.status);
            n += usize::from(!matches!(
                status,
                Some(OrderStatus::Paid | OrderStatus::Rejected)
            ));
        }
        n
    };
    assert!(unfinished > 0, "the crash came after every order was done");

    // The restarted process: new caches, same stores, one pass to the head.
    let s = state(store.clone(), &provider);
    let started = Instant::now();
    Checkout::new(s.clone(), read, provider.clone(), options, "second")
        .catch_up()
        .await
        .unwrap();
    eprintln!(
        "{unfinished} of {ORDERS} orders unfinished at the crash; the restart took {:?}",
        started.elapsed()
    );

    let mut held: HashMap<ProductId, u32> = HashMap::new();
    let mut paid = 0;
    for (order, lines, declined) in &orders {
        let case = format!("order {order} (declined: {declined})");
        let state: Order = s.orders.load(&order.to_string()).await.unwrap().aggregate;
        let expected = if *declined {
            OrderStatus::Rejected
        } else {
            OrderStatus::Paid
        };
        assert_eq!(state.state().map(|o| o.status), Some(expected), "{case}");
        let payment = store
            .read_stream(&format!("payment-{}", payment_of(*order)), 1)
            .await
            .unwrap();
        let shipment = store
            .read_stream(&format!("shipment-{}", shipment_of(*order)), 1)
            .await
            .unwrap();
        if *declined {
            assert_eq!(
                types(&payment),
                ["PaymentRequested", "PaymentDeclined"],
                "{case}"
            );
            assert!(shipment.is_empty(), "{case}");
        } else {
            paid += 1;
            assert_eq!(
                types(&payment),
                ["PaymentRequested", "PaymentAuthorized", "PaymentCaptured"],
                "{case}"
            );
            assert_eq!(types(&shipment), ["ShipmentCreated"], "{case}");
            for (product, n) in lines {
                *held.entry(*product).or_default() += n;
            }
        }
    }

    // One reservation per order and product, and a release for each declined one.
    for product in [a, b] {
        let events = store
            .read_stream(&format!("product-{product}"), 1)
            .await
            .unwrap();
        let mut per_order: HashMap<(String, String), usize> = HashMap::new();
        for event in &events {
            if let Some(order) = event.payload.get("order_id") {
                *per_order
                    .entry((event.event_type.clone(), order.to_string()))
                    .or_default() += 1;
            }
        }
        assert!(per_order.values().all(|n| *n == 1), "{per_order:?}");
        let count = |kind: &str| per_order.keys().filter(|(k, _)| k == kind).count();
        assert_eq!(count("StockReserved"), ORDERS);
        assert_eq!(count("ReservationReleased"), ORDERS - paid);
        let loaded: Product = s
            .products
            .load(&product.to_string())
            .await
            .unwrap()
            .aggregate;
        assert_eq!(loaded.state().unwrap().reserved(), held[&product]);
        assert_eq!(loaded.state().unwrap().on_hand, STOCK);
    }
    // Money moved once per paid order: one approved authorization and one capture each.
    let keys = |operation| {
        let calls = provider.effective(operation);
        let distinct: std::collections::HashSet<_> = calls.iter().map(|c| c.key.clone()).collect();
        (calls.len(), distinct.len())
    };
    assert_eq!(keys("authorize"), (paid, paid));
    assert_eq!(keys("capture"), (paid, paid));
}
