//! Each read model: given events, then documents.

// A failed step aborts the test with its message; that is what unwrap is for here.
#![allow(clippy::unwrap_used)]

use chrono::{DateTime, TimeZone, Utc};
use domain::cart::CartEvent;
use domain::order::{OrderEvent, OrderStatus};
use domain::payment::PaymentEvent;
use domain::product::ProductEvent;
use domain::shipment::ShipmentEvent;
use domain::user::UserEvent;
use domain::values::*;
use infra::event_store::RecordedEvent;
use projections::models::*;
use projections::testkit::{recorded, run};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use uuid::Uuid;

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
}

fn eur(cents: i64) -> Money {
    Money::new(cents, Currency::parse("EUR").unwrap()).unwrap()
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn address() -> Address {
    serde_json::from_value(
        json!({"name": "Ann", "line1": "Main St 1", "city": "Berlin",
        "postal_code": "10115", "country": "DE"}),
    )
    .unwrap()
}

/// A log builder: each event gets the next position.
#[derive(Default)]
struct Log(Vec<RecordedEvent>);

impl Log {
    fn add<E: cqrs_es::DomainEvent>(
        &mut self,
        stream: String,
        event: E,
        when: DateTime<Utc>,
    ) -> &mut Self {
        let position = self.0.len() as u64 + 1;
        self.0.push(recorded(position, &stream, &event, when));
        self
    }
}

fn product_created(n: u128, name: &str, cents: i64, stock: u32) -> ProductEvent {
    ProductEvent::ProductCreated {
        product_id: id(n).into(),
        sku: Sku::parse(&format!("SKU-{n}")).unwrap(),
        name: ProductName::parse(name).unwrap(),
        description: Description::parse("").unwrap(),
        category: Category::parse("kitchen").unwrap(),
        price: eur(cents),
        initial_stock: stock,
    }
}

fn doc(
    docs: &std::collections::HashMap<(&'static str, String), Value>,
    collection: &'static str,
    n: u128,
) -> Value {
    docs.get(&(collection, id(n).to_string()))
        .cloned()
        .unwrap_or(Value::Null)
}

#[test]
fn catalog_and_inventory_follow_stock_levels_from_the_events() {
    let mut log = Log::default();
    let p = |n| format!("product-{}", id(n));
    log.add(
        p(1),
        product_created(1, "Stoneware Mug", 1299, 10),
        at(1, 9),
    )
    .add(
        p(1),
        ProductEvent::StockReserved {
            order_id: id(7).into(),
            quantity: 3,
            reserved: 3,
        },
        at(1, 10),
    )
    .add(
        p(1),
        ProductEvent::ProductPriceChanged {
            previous: eur(1299),
            price: eur(1499),
        },
        at(1, 11),
    )
    .add(
        p(1),
        ProductEvent::StockAdjusted {
            delta: -2,
            reason: Reason::parse("broken").unwrap(),
            on_hand: 8,
        },
        at(1, 12),
    )
    .add(
        p(1),
        ProductEvent::ReservationCommitted {
            order_id: id(7).into(),
            quantity: 3,
            on_hand: 5,
            reserved: 0,
        },
        at(1, 13),
    )
    .add(p(2), product_created(2, "Tea Pot", 2500, 1), at(1, 14))
    .add(
        p(2),
        ProductEvent::StockReserved {
            order_id: id(8).into(),
            quantity: 1,
            reserved: 1,
        },
        at(1, 15),
    )
    .add(
        p(2),
        ProductEvent::ProductDiscontinued {
            reason: Reason::parse("old").unwrap(),
        },
        at(1, 16),
    );
    let catalog = run(&catalog::Catalog, &log.0);
    let mug = doc(&catalog, catalog::PRODUCTS, 1);
    assert_eq!(mug["available"], 5);
    assert_eq!(mug["price"], json!({"amount": 1499, "currency": "EUR"}));
    assert_eq!(mug["in_stock"], true);
    assert_eq!(
        mug["terms"],
        json!(["1", "kitchen", "mug", "sku", "stoneware"])
    );
    let pot = doc(&catalog, catalog::PRODUCTS, 2);
    assert_eq!(
        (
            pot["available"].clone(),
            pot["in_stock"].clone(),
            pot["status"].clone()
        ),
        (json!(0), json!(false), json!("discontinued"))
    );

    let inventory = run(&inventory::Inventory, &log.0);
    let mug = doc(&inventory, inventory::INVENTORY, 1);
    assert_eq!(
        (
            mug["on_hand"].clone(),
            mug["reserved"].clone(),
            mug["available"].clone()
        ),
        (json!(5), json!(0), json!(5))
    );
    assert_eq!(mug["holds"], json!([]));
    let pot = doc(&inventory, inventory::INVENTORY, 2);
    assert_eq!(
        pot["holds"],
        json!([{"order_id": id(8).to_string(), "quantity": 1}])
    );
}

#[test]
fn user_profiles_never_hold_the_password_hash() {
    let mut log = Log::default();
    let u = format!("user-{}", id(1));
    let hash = PasswordHash::parse("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA").unwrap();
    log.add(
        u.clone(),
        UserEvent::UserRegistered {
            user_id: id(1).into(),
            email: Email::parse("ann@example.com").unwrap(),
            name: PersonName::parse("Ann").unwrap(),
            password_hash: hash.clone(),
            roles: BTreeSet::from([Role::Customer]),
        },
        at(1, 9),
    )
    .add(
        u.clone(),
        UserEvent::UserProfileChanged {
            name: PersonName::parse("Ann Lee").unwrap(),
            address: Some(address()),
        },
        at(1, 10),
    )
    .add(
        u.clone(),
        UserEvent::UserRolesChanged {
            roles: BTreeSet::from([Role::Customer, Role::Auditor]),
        },
        at(1, 11),
    )
    .add(
        u.clone(),
        UserEvent::UserPasswordChanged {
            password_hash: hash,
        },
        at(1, 12),
    )
    .add(
        u,
        UserEvent::UserDeactivated {
            reason: Reason::parse("fraud").unwrap(),
        },
        at(1, 13),
    );
    let users = run(&users::Users, &log.0);
    let ann = doc(&users, users::USERS, 1);
    assert_eq!(ann["name"], "Ann Lee");
    assert_eq!(ann["roles"], json!(["customer", "auditor"]));
    assert_eq!(ann["address"]["city"], "Berlin");
    assert_eq!(ann["status"], "deactivated");
    assert!(!ann.to_string().contains("argon2"));
}

#[test]
fn carts_keep_lines_in_the_order_added_and_record_the_checkout() {
    let mut log = Log::default();
    let c = format!("cart-{}", id(1));
    let q = |n| Quantity::new(n).unwrap();
    log.add(
        c.clone(),
        CartEvent::CartOpened {
            cart_id: id(1).into(),
            owner: id(9).into(),
        },
        at(1, 9),
    )
    .add(
        c.clone(),
        CartEvent::CartItemAdded {
            product_id: id(2).into(),
            quantity: q(1),
            line_quantity: q(1),
        },
        at(1, 9),
    )
    .add(
        c.clone(),
        CartEvent::CartItemAdded {
            product_id: id(3).into(),
            quantity: q(2),
            line_quantity: q(2),
        },
        at(1, 9),
    )
    .add(
        c.clone(),
        CartEvent::CartItemAdded {
            product_id: id(2).into(),
            quantity: q(2),
            line_quantity: q(3),
        },
        at(1, 9),
    )
    .add(
        c.clone(),
        CartEvent::CartItemQuantitySet {
            product_id: id(3).into(),
            quantity: q(5),
        },
        at(1, 9),
    )
    .add(
        c.clone(),
        CartEvent::CartItemRemoved {
            product_id: id(3).into(),
        },
        at(1, 9),
    );
    let carts = run(&carts::Carts, &log.0);
    let cart = doc(&carts, carts::CARTS, 1);
    assert_eq!(
        cart["lines"],
        json!([{"product_id": id(2).to_string(), "quantity": 3}])
    );
    assert_eq!(
        (cart["owner"].clone(), cart["status"].clone()),
        (json!(id(9).to_string()), json!("open"))
    );
    let line = OrderLine::price(id(2).into(), q(3), eur(100)).unwrap();
    log.add(
        c,
        CartEvent::CartCheckedOut {
            order_id: id(5).into(),
            owner: id(9).into(),
            lines: vec![line],
            total: eur(300),
            shipping_address: address(),
            payment_method: PaymentMethod::parse("pm_card_ok").unwrap(),
        },
        at(1, 10),
    );
    let cart = doc(&run(&carts::Carts, &log.0), carts::CARTS, 1);
    assert_eq!(
        (cart["status"].clone(), cart["order_id"].clone()),
        (json!("checked_out"), json!(id(5).to_string()))
    );
}

fn placed(log: &mut Log, order: u128, customer: u128, when: DateTime<Utc>) {
    let lines = vec![
        OrderLine::price(id(2).into(), Quantity::new(2).unwrap(), eur(1000)).unwrap(),
        OrderLine::price(id(3).into(), Quantity::new(1).unwrap(), eur(500)).unwrap(),
    ];
    log.add(
        format!("order-{}", id(order)),
        OrderEvent::OrderPlaced {
            order_id: id(order).into(),
            customer: id(customer).into(),
            cart_id: None,
            lines,
            total: eur(2500),
            shipping_address: address(),
            payment_method: PaymentMethod::parse("pm_card_ok").unwrap(),
            placed_at: when,
        },
        when,
    );
}

#[test]
fn orders_record_every_status_they_go_through() {
    let mut log = Log::default();
    let o = format!("order-{}", id(1));
    placed(&mut log, 1, 9, at(1, 9));
    log.add(o.clone(), OrderEvent::OrderStockReserved {}, at(1, 9))
        .add(
            o.clone(),
            OrderEvent::OrderPaymentAuthorized {
                payment_id: id(4).into(),
            },
            at(1, 9),
        )
        .add(
            o.clone(),
            OrderEvent::OrderPaid {
                payment_id: id(4).into(),
            },
            at(1, 9),
        )
        .add(
            o.clone(),
            OrderEvent::OrderShipped {
                shipment_id: id(6).into(),
            },
            at(2, 9),
        )
        .add(o, OrderEvent::OrderDelivered {}, at(3, 9));
    placed(&mut log, 2, 9, at(1, 9));
    log.add(
        format!("order-{}", id(2)),
        OrderEvent::OrderCancelled {
            reason: Reason::parse("changed my mind").unwrap(),
            previous_status: OrderStatus::Placed,
        },
        at(1, 10),
    );
    let orders = run(&orders::Orders, &log.0);
    let first = doc(&orders, orders::ORDERS, 1);
    assert_eq!(first["status"], "delivered");
    let steps: Vec<_> = first["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        steps,
        [
            "placed",
            "stock_reserved",
            "payment_authorized",
            "paid",
            "shipped",
            "delivered"
        ]
    );
    assert_eq!(
        (first["payment_id"].clone(), first["shipment_id"].clone()),
        (json!(id(4).to_string()), json!(id(6).to_string()))
    );
    assert_eq!(first["total"], json!({"amount": 2500, "currency": "EUR"}));
    assert_eq!(
        first["lines"][0]["line_total"],
        json!({"amount": 2000, "currency": "EUR"})
    );
    let second = doc(&orders, orders::ORDERS, 2);
    assert_eq!(
        (second["status"].clone(), second["reason"].clone()),
        (json!("cancelled"), json!("changed my mind"))
    );
}

#[test]
fn payments_and_shipments_track_their_lifecycles() {
    let mut log = Log::default();
    let pay = format!("payment-{}", id(4));
    log.add(
        pay.clone(),
        PaymentEvent::PaymentRequested {
            payment_id: id(4).into(),
            order_id: id(1).into(),
            amount: eur(2500),
            method: PaymentMethod::parse("pm_card_ok").unwrap(),
        },
        at(1, 9),
    )
    .add(
        pay.clone(),
        PaymentEvent::PaymentAuthorized {
            provider_reference: ProviderReference::parse("auth-1").unwrap(),
        },
        at(1, 9),
    )
    .add(
        pay.clone(),
        PaymentEvent::PaymentCaptured { amount: eur(2500) },
        at(1, 9),
    )
    .add(
        pay,
        PaymentEvent::PaymentRefunded {
            amount: eur(500),
            reason: Reason::parse("scratch").unwrap(),
            total_refunded: eur(500),
        },
        at(2, 9),
    );
    let ship = format!("shipment-{}", id(6));
    log.add(
        ship.clone(),
        ShipmentEvent::ShipmentCreated {
            shipment_id: id(6).into(),
            order_id: id(1).into(),
            address: address(),
        },
        at(1, 9),
    )
    .add(
        ship.clone(),
        ShipmentEvent::ShipmentDispatched {
            carrier: Carrier::parse("DHL").unwrap(),
            tracking_number: TrackingNumber::parse("JD1").unwrap(),
            dispatched_at: at(2, 8),
        },
        at(2, 8),
    )
    .add(
        ship.clone(),
        ShipmentEvent::ShipmentDeliveryFailed {
            reason: Reason::parse("nobody home").unwrap(),
            failed_at: at(3, 8),
        },
        at(3, 8),
    )
    .add(
        ship,
        ShipmentEvent::ShipmentDelivered {
            delivered_at: at(4, 8),
        },
        at(4, 8),
    );
    let payment = doc(&run(&payments::Payments, &log.0), payments::PAYMENTS, 4);
    assert_eq!(payment["status"], "partially_refunded");
    assert_eq!(payment["order_id"], id(1).to_string());
    assert_eq!(payment["refunded"]["amount"], 500);
    let shipment = doc(&run(&shipments::Shipments, &log.0), shipments::SHIPMENTS, 6);
    assert_eq!(shipment["status"], "delivered");
    let steps: Vec<_> = shipment["tracking"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["status"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(steps, ["pending", "dispatched", "failed", "delivered"]);
    assert_eq!(shipment["tracking"][1]["detail"], "DHL JD1");
}

#[test]
fn reporting_counts_sales_when_paid_and_refunds_when_made() {
    let mut log = Log::default();
    placed(&mut log, 1, 9, at(1, 9));
    placed(&mut log, 2, 9, at(1, 9));
    placed(&mut log, 3, 9, at(1, 9));
    log.add(
        format!("order-{}", id(1)),
        OrderEvent::OrderPaid {
            payment_id: id(4).into(),
        },
        at(1, 10),
    )
    .add(
        format!("order-{}", id(2)),
        OrderEvent::OrderPaid {
            payment_id: id(5).into(),
        },
        at(2, 10),
    )
    .add(
        format!("payment-{}", id(4)),
        PaymentEvent::PaymentRefunded {
            amount: eur(700),
            reason: Reason::parse("r").unwrap(),
            total_refunded: eur(700),
        },
        at(2, 11),
    );
    let reports = run(&reporting::Reporting, &log.0);
    let day = |d: &str| {
        reports
            .get(&(reporting::SALES_DAILY, format!("EUR:2026-11-{d}")))
            .cloned()
            .unwrap()
    };
    assert_eq!(
        (day("01")["orders"].clone(), day("01")["items"].clone()),
        (json!(1), json!(3))
    );
    assert_eq!(day("01")["revenue"]["amount"], 2500);
    assert_eq!(
        (
            day("02")["revenue"]["amount"].clone(),
            day("02")["refunds"]["amount"].clone()
        ),
        (json!(2500), json!(700))
    );
    let product = doc(&reports, reporting::PRODUCT_SALES, 2);
    assert_eq!(
        (
            product["units"].clone(),
            product["revenue"]["amount"].clone(),
            product["orders"].clone()
        ),
        (json!(4), json!(4000), json!(2))
    );
    assert!(!reports.contains_key(&(reporting::PRODUCT_SALES, id(99).to_string())));
}
