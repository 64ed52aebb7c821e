//! The split shop end to end: eight processes (two command processes split by domain, two
//! query, two projector, two checkout) on PostgreSQL and MongoDB, behind nginx with the
//! project's routing. First the README walkthrough through the front door; then 300
//! checkouts from 16 clients while a projector, a checkout worker and a command process are
//! killed with `-9`; then the log and the read models are checked.
//!
//! Needs `ECOMMERCE_TEST_POSTGRES_URL`, `ECOMMERCE_TEST_MONGODB_URI` and
//! `ECOMMERCE_TEST_NGINX` (skipped, saying so, without them); leaves the marker `split-e2e`
//! in `ECOMMERCE_TEST_MARKERS` when it ran through.

// A failed step aborts the test with its message; that is what unwrap is for here.
#![allow(clippy::unwrap_used)]

#[path = "../security/binary.rs"]
#[allow(dead_code)]
mod binary;
mod checks;
mod client;
mod cluster;

use client::Door;
use cluster::{ADMIN_EMAIL, ADMIN_PASSWORD, Backends, Cluster};
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

const CHECKOUTS: usize = 300;
const CLIENTS: usize = 16;
const PASSWORD: &str = "correct horse battery";

fn address() -> Value {
    json!({"name": "Ann Lee", "line1": "Main St 1", "city": "Berlin", "postal_code": "10115",
           "country": "DE"})
}

/// The README's walkthrough, through the front door.
async fn walkthrough(door: &Door) {
    let admin = door.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let mug = json!({"sku": "MUG-1", "name": "Stoneware mug", "description": "300 ml",
                     "category": "kitchen", "price": {"amount": 1299, "currency": "EUR"},
                     "initial_stock": 25});
    let created = door
        .command(Method::POST, "/api/products", &admin, Some(&mug), "mug-1")
        .await;
    let product = created["id"].as_str().unwrap().to_owned();
    let view = door
        .read_at(
            &format!("/api/products/{product}"),
            None,
            created["position"].as_u64().unwrap(),
        )
        .await;
    assert_eq!(view["sku"], "MUG-1");
    let ann = json!({"email": "ann@example.com", "password": PASSWORD, "name": "Ann Lee"});
    let registered = door
        .send(
            Method::POST,
            "/api/users",
            None,
            Some(&ann),
            &[("Idempotency-Key", "ann")],
        )
        .await;
    assert_eq!(registered.status, 201, "{}", registered.body);
    let token = door.login("ann@example.com", PASSWORD).await;
    let cart = door
        .command(Method::POST, "/api/carts", &token, None, "ann-cart")
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let item = json!({"product_id": product, "quantity": 2});
    let added = door
        .command(
            Method::POST,
            &format!("/api/carts/{cart}/items"),
            &token,
            Some(&item),
            "ann-add",
        )
        .await;
    let view = door
        .read_at(
            &format!("/api/carts/{cart}"),
            Some(&token),
            added["position"].as_u64().unwrap(),
        )
        .await;
    assert_eq!(view["lines"][0]["quantity"], 2);
    let checkout = json!({"shipping_address": address(), "payment_method": "pm_card_ok"});
    let placed = door
        .command(
            Method::POST,
            &format!("/api/carts/{cart}/checkout"),
            &token,
            Some(&checkout),
            "ann-checkout",
        )
        .await;
    let order = placed["order_id"].as_str().unwrap().to_owned();
    let path = format!("/api/orders/{order}");
    // The checkout's position shows the order at once, on a query process.
    let view = door
        .read_at(&path, Some(&token), placed["position"].as_u64().unwrap())
        .await;
    assert_eq!(view["id"], order.as_str());
    let paid = until(door, &path, &token, |v| v["shipment"]["id"].is_string()).await;
    let shipment = paid["shipment"]["id"].as_str().unwrap().to_owned();
    let dispatch = json!({"carrier": "DHL", "tracking_number": "JD014600003DE"});
    door.command(
        Method::POST,
        &format!("/api/shipments/{shipment}/dispatch"),
        &admin,
        Some(&dispatch),
        "dispatch-1",
    )
    .await;
    until(door, &path, &token, |v| v["status"] == "shipped").await;
    let delivered = door
        .command(
            Method::POST,
            &format!("/api/shipments/{shipment}/deliver"),
            &admin,
            None,
            "deliver-1",
        )
        .await;
    until(door, &path, &token, |v| v["status"] == "delivered").await;
    let verify = door
        .read_at(
            &format!("/api/audit/orders/{order}/verify"),
            Some(&admin),
            delivered["position"].as_u64().unwrap(),
        )
        .await;
    assert_eq!(verify["intact"], true, "{verify}");
}

/// Polls `path` until `done` holds; panics after 60 s.
async fn until(door: &Door, path: &str, token: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let answer = door.send(Method::GET, path, Some(token), None, &[]).await;
        if answer.status == 200 && done(&answer.body) {
            return answer.body;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{path}: {}",
            answer.body
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// One client: checkouts of one unit of a product each, until `CHECKOUTS` are accepted in
/// all; returns (cart, order) of each.
async fn shopper(
    door: Door,
    n: usize,
    products: Arc<Vec<String>>,
    accepted: Arc<AtomicUsize>,
) -> Vec<(String, String, String)> {
    let email = format!("shopper{n}@example.com");
    let registration = json!({"email": email, "password": PASSWORD, "name": "Shopper"});
    let key = format!("register-{n}");
    let answer = door
        .send(
            Method::POST,
            "/api/users",
            None,
            Some(&registration),
            &[("Idempotency-Key", &key)],
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let token = door.login(&email, PASSWORD).await;
    let mut done = Vec::new();
    let mut round = 0;
    while accepted.fetch_add(1, Ordering::SeqCst) < CHECKOUTS {
        round += 1;
        let key = |step: &str| format!("{n}-{round}-{step}");
        let cart = door
            .command(Method::POST, "/api/carts", &token, None, &key("cart"))
            .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let product = &products[(n + round) % products.len()];
        let item = json!({"product_id": product, "quantity": 1});
        door.command(
            Method::POST,
            &format!("/api/carts/{cart}/items"),
            &token,
            Some(&item),
            &key("add"),
        )
        .await;
        let body = json!({"shipping_address": address(), "payment_method": "pm_card_ok"});
        let placed = door
            .command(
                Method::POST,
                &format!("/api/carts/{cart}/checkout"),
                &token,
                Some(&body),
                &key("checkout"),
            )
            .await;
        done.push((
            cart,
            placed["order_id"].as_str().unwrap().to_owned(),
            token.clone(),
        ));
    }
    done
}

/// The instance holding most leases among `candidates`, from the leases in the read store.
async fn busiest(read_url: &str, database: &str, candidates: &[&str]) -> String {
    let client = mongodb::Client::with_uri_str(read_url).await.unwrap();
    let leases = client
        .database(database)
        .collection::<mongodb::bson::Document>("_leases");
    let mut cursor = leases.find(mongodb::bson::doc! {}).await.unwrap();
    let mut counts = std::collections::BTreeMap::new();
    while cursor.advance().await.unwrap() {
        let lease = cursor.deserialize_current().unwrap();
        if let Ok(owner) = lease.get_str("owner") {
            *counts.entry(owner.to_owned()).or_insert(0) += 1;
        }
    }
    candidates
        .iter()
        .max_by_key(|c| counts.get(**c).copied().unwrap_or(0))
        .map(|c| (*c).to_owned())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_split_shop_survives_kills_and_keeps_every_promise() {
    let Some(backends) = Backends::from_env() else {
        return;
    };
    let mut cluster = Cluster::start(&backends).await;
    let door = Door::new(&cluster.base);
    walkthrough(&door).await;

    let admin = door.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let mut products = Vec::new();
    for n in 0..4 {
        let body = json!({"sku": format!("LOAD-{n}"), "name": "Load mug", "category": "kitchen",
                          "price": {"amount": 500 + n, "currency": "EUR"}, "initial_stock": 10_000});
        let made = door
            .command(
                Method::POST,
                "/api/products",
                &admin,
                Some(&body),
                &format!("load-{n}"),
            )
            .await;
        products.push(made["id"].as_str().unwrap().to_owned());
    }
    let products = Arc::new(products);
    let accepted = Arc::new(AtomicUsize::new(0));
    let shoppers: Vec<_> = (0..CLIENTS)
        .map(|n| tokio::spawn(shopper(door.clone(), n, products.clone(), accepted.clone())))
        .collect();
    // Partway through, a projector and a checkout worker holding leases, and the command
    // process of the shop's domains, die; the command process is restarted by its
    // supervisor a moment later, the workers' standbys take over.
    while accepted.load(Ordering::SeqCst) < CHECKOUTS / 3 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let projector = busiest(
        &cluster.read_url,
        &cluster.database,
        &["projector-1", "projector-2"],
    )
    .await;
    let checkout = busiest(
        &cluster.read_url,
        &cluster.database,
        &["checkout-1", "checkout-2"],
    )
    .await;
    for name in [projector.as_str(), checkout.as_str(), "shop"] {
        cluster.kill(name);
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    cluster.restart("shop");
    let mut orders = Vec::new();
    for shopper in shoppers {
        orders.extend(shopper.await.unwrap());
    }
    assert!(orders.len() >= CHECKOUTS, "{} checkouts", orders.len());

    // Every order reaches its final state.
    for (_, order, token) in &orders {
        until(&door, &format!("/api/orders/{order}"), token, |v| {
            v["status"] == "paid"
        })
        .await;
    }
    let stores =
        checks::Stores::open(&cluster.events_url, &cluster.read_url, backends.field_only).await;
    let placed: Vec<(String, String)> = orders
        .iter()
        .map(|(c, o, _)| (c.clone(), o.clone()))
        .collect();
    stores.every_order_once(&placed).await;
    stores.caught_up().await;
    let rebuilt = format!("{}_rebuilt", cluster.database);
    stores.read_models_equal_a_rebuild(&rebuilt).await;

    let client = mongodb::Client::with_uri_str(&cluster.read_url)
        .await
        .unwrap();
    for database in [cluster.database.clone(), rebuilt] {
        client.database(&database).drop().await.unwrap();
    }
    cluster.stop();
    if let Some(dir) = std::env::var_os("ECOMMERCE_TEST_MARKERS") {
        std::fs::write(std::path::Path::new(&dir).join("split-e2e"), "ran").unwrap();
    }
}
