//! `ecommerce audit order` against a real data folder: an order placed, its stock reserved
//! and its payment authorized through the aggregates, then audited from the command line.

use super::{ecommerce, stdout};
use domain::order::{Order, OrderCommand, payment_of};
use domain::payment::{Payment, PaymentCommand};
use domain::product::{Product, ProductCommand};
use domain::values::*;
use infra::event_store::{AggregateStore, EventMetadata, EventStore};
use infra::{SqliteConfig, SqliteEventStore};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;
use uuid::Uuid;

const USER: &str = "0190a1b2-0000-7000-8000-00000000a11e";

fn metadata() -> std::collections::HashMap<String, String> {
    let mut metadata = EventMetadata::new(chrono::Utc::now());
    metadata.user_id = Some(USER.into());
    metadata.to_map()
}

/// A product, an order of 2 of it (version 1), its stock reserved (2), its payment requested
/// and authorized (3); and another product event that is no part of the order. Returns the
/// order id and the product id.
async fn seed(data_dir: &Path) -> (OrderId, ProductId) {
    let store: Arc<dyn EventStore> = Arc::new(
        SqliteEventStore::open(
            SqliteConfig::new(data_dir.join("events.db")),
            domain::schema::Upcasters::domain(),
        )
        .unwrap(),
    );
    let (products, orders) = (
        AggregateStore::<Product>::new(store.clone()),
        AggregateStore::<Order>::new(store.clone()),
    );
    let payments = AggregateStore::<Payment>::new(store);
    let (product, order) = (
        ProductId::from_uuid(Uuid::now_v7()),
        OrderId::from_uuid(Uuid::now_v7()),
    );
    let eur = |n| Money::new(n, Currency::parse("EUR").unwrap()).unwrap();
    let create = ProductCommand::Create {
        product_id: product,
        sku: Sku::parse("MUG-1").unwrap(),
        name: ProductName::parse("Mug").unwrap(),
        description: Description::parse("300 ml").unwrap(),
        category: Category::parse("kitchen").unwrap(),
        price: eur(1299),
        initial_stock: 5,
    };
    let p = product.to_string();
    products.execute(&p, create, &(), metadata()).await.unwrap();
    let address = json!({"name": "Ann", "line1": "Main St 1", "city": "Berlin",
        "postal_code": "10115", "country": "DE"});
    let place = OrderCommand::Place {
        order_id: order,
        customer: UserId::from_uuid(USER.parse().unwrap()),
        cart_id: None,
        lines: vec![OrderLine::price(product, Quantity::new(2).unwrap(), eur(1299)).unwrap()],
        shipping_address: serde_json::from_value(address).unwrap(),
        payment_method: PaymentMethod::parse("pm_card_ok").unwrap(),
        placed_at: chrono::Utc::now(),
    };
    let o = order.to_string();
    orders.execute(&o, place, &(), metadata()).await.unwrap();
    let reserve = ProductCommand::Reserve {
        order_id: order,
        quantity: Quantity::new(2).unwrap(),
    };
    products
        .execute(&p, reserve, &(), metadata())
        .await
        .unwrap();
    orders
        .execute(&o, OrderCommand::MarkStockReserved {}, &(), metadata())
        .await
        .unwrap();
    let payment = payment_of(order);
    let request = PaymentCommand::Request {
        payment_id: payment,
        order_id: order,
        amount: eur(2598),
        method: PaymentMethod::parse("pm_card_ok").unwrap(),
    };
    let pay = payment.to_string();
    payments
        .execute(&pay, request, &(), metadata())
        .await
        .unwrap();
    let reference = ProviderReference::parse("ref-1").unwrap();
    let authorize = PaymentCommand::Authorize {
        provider_reference: reference,
    };
    payments
        .execute(&pay, authorize, &(), metadata())
        .await
        .unwrap();
    let authorized = OrderCommand::AuthorizePayment {
        payment_id: payment,
    };
    orders
        .execute(&o, authorized, &(), metadata())
        .await
        .unwrap();
    let restock = ProductCommand::AdjustStock {
        delta: 3,
        reason: Reason::parse("restock").unwrap(),
    };
    products
        .execute(&p, restock, &(), metadata())
        .await
        .unwrap();
    (order, product)
}

fn types(events: &Value) -> Vec<&str> {
    events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn audit_order_prints_the_events_then_the_state() {
    let dir = tempfile::tempdir().unwrap();
    let (order, product) = seed(dir.path()).await;
    let id = order.to_string();
    let table = stdout(&ecommerce(dir.path(), &["audit", "order", &id]));
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("POSITION"), "{table}");
    for (line, event_type) in lines[1..6].iter().zip([
        "OrderPlaced",
        "StockReserved",
        "OrderStockReserved",
        "PaymentRequested",
        "PaymentAuthorized",
    ]) {
        assert!(line.contains(event_type) && line.contains(USER), "{table}");
    }
    assert!(lines[6].contains("OrderPaymentAuthorized"), "{table}");
    assert!(
        !table.contains("ProductCreated") && !table.contains("StockAdjusted"),
        "{table}"
    );
    assert!(table.contains(&format!("product-{product}")), "{table}");
    assert!(table.contains("status     payment_authorized"), "{table}");
    assert!(table.contains("version 3 "), "{table}");
    assert!(table.contains("authorized (version 2)"), "{table}");

    let json: Value = serde_json::from_str(&stdout(&ecommerce(
        dir.path(),
        &["audit", "order", &id, "--json"],
    )))
    .unwrap();
    assert_eq!(
        types(&json["events"]),
        [
            "OrderPlaced",
            "StockReserved",
            "OrderStockReserved",
            "PaymentRequested",
            "PaymentAuthorized",
            "OrderPaymentAuthorized"
        ]
    );
    assert_eq!(json["events"][0]["metadata"]["user_id"], USER);
    assert_eq!(json["state"]["version"], 3);
    assert_eq!(json["state"]["order"]["status"], "payment_authorized");
    assert_eq!(json["state"]["payment"]["status"], "authorized");

    let first: Value = serde_json::from_str(&stdout(&ecommerce(
        dir.path(),
        &["audit", "order", &id, "--version", "1", "--json"],
    )))
    .unwrap();
    assert_eq!(types(&first["events"]), ["OrderPlaced"]);
    assert_eq!(first["state"]["version"], 1);
    assert_eq!(first["state"]["order"]["status"], "placed");
    assert!(first["state"]["payment"].is_null());
    let text = stdout(&ecommerce(
        dir.path(),
        &["audit", "order", &id, "--version", "1"],
    ));
    assert!(
        text.contains("status     placed") && !text.contains("StockReserved"),
        "{text}"
    );
}

#[tokio::test]
async fn audit_order_refuses_an_unknown_order_or_a_moment_outside_its_history() {
    let dir = tempfile::tempdir().unwrap();
    let (order, _) = seed(dir.path()).await;
    let id = order.to_string();
    let unknown = Uuid::now_v7().to_string();
    for (args, expected) in [
        (vec!["audit", "order", unknown.as_str()], "no such order"),
        (vec!["audit", "order", &id, "--version", "4"], "version"),
        (
            vec!["audit", "order", &id, "--at", "2000-01-01T00:00:00Z"],
            "did not exist yet",
        ),
        (vec!["audit", "order", &id, "--at", "soon"], "RFC 3339"),
    ] {
        let output = ecommerce(dir.path(), &args);
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    let both = ecommerce(
        dir.path(),
        &[
            "audit",
            "order",
            &id,
            "--version",
            "1",
            "--at",
            "2000-01-01T00:00:00Z",
        ],
    );
    assert_eq!(both.status.code(), Some(2), "clap refuses both");
}
