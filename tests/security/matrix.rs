//! The authorization matrix, generated from the OpenAPI document the shop serves: every
//! operation is called as an anonymous client, as customer A on customer B's resources (and
//! on the admin routes), as an auditor and as an admin, and each answer is compared with the
//! table below. An operation of the document missing from the table fails the test, and so
//! does a table row the document no longer has.
//!
//! Each kind of caller works on a fixture of its own (customer B with a paid order and an
//! open cart holding a product), in the table's order, so that what one caller changed (an
//! admin's dispatch, say) never decides another's answer. An auditor is not a customer: it
//! lists its own orders (none) like anyone signed in, and opens no cart.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// The callers, in the order of the table's columns.
const CALLERS: [&str; 4] = ["anonymous", "other customer", "auditor", "admin"];

/// Expected status per caller, in the order the calls are made.
const EXPECTED: &[(&str, [u16; 4])] = &[
    ("GET /health/live", [200, 200, 200, 200]),
    ("GET /health/ready", [200, 200, 200, 200]),
    ("GET /metrics", [200, 200, 200, 200]),
    ("POST /api/auth/login", [401, 401, 401, 401]),
    ("POST /api/users", [201, 201, 201, 201]),
    ("GET /api/users/me", [401, 200, 200, 200]),
    ("PATCH /api/users/me", [401, 200, 200, 200]),
    ("GET /api/products", [200, 200, 200, 200]),
    ("GET /api/products/{id}", [200, 200, 200, 200]),
    ("POST /api/products", [401, 403, 403, 201]),
    ("PATCH /api/products/{id}", [401, 403, 403, 200]),
    ("PUT /api/products/{id}/price", [401, 403, 403, 200]),
    ("POST /api/products/{id}/stock", [401, 403, 403, 200]),
    ("GET /api/carts/{id}", [401, 403, 403, 200]),
    ("POST /api/carts", [401, 201, 403, 403]),
    ("POST /api/carts/{id}/items", [401, 403, 403, 403]),
    (
        "PUT /api/carts/{id}/items/{product_id}",
        [401, 403, 403, 403],
    ),
    (
        "DELETE /api/carts/{id}/items/{product_id}",
        [401, 403, 403, 403],
    ),
    ("POST /api/carts/{id}/checkout", [401, 403, 403, 403]),
    ("GET /api/orders", [401, 200, 200, 200]),
    ("GET /api/orders/{id}", [401, 403, 403, 200]),
    ("GET /api/orders/{id}/shipment", [401, 403, 403, 200]),
    ("GET /api/payments/{id}", [401, 403, 403, 200]),
    ("GET /api/shipments/{id}", [401, 403, 403, 200]),
    ("GET /api/audit/orders/{id}/events", [401, 403, 200, 200]),
    ("GET /api/audit/orders/{id}/state", [401, 403, 200, 200]),
    ("GET /api/audit/orders/{id}/verify", [401, 403, 200, 200]),
    ("GET /api/reports/sales/daily", [401, 403, 403, 200]),
    ("GET /api/reports/products/top", [401, 403, 403, 200]),
    ("GET /api/reports/inventory/low-stock", [401, 403, 403, 200]),
    ("GET /api/admin/projections", [401, 403, 403, 200]),
    (
        "POST /api/admin/projections/{name}/rebuild",
        [401, 403, 403, 202],
    ),
    ("POST /api/payments/{id}/refund", [401, 403, 403, 200]),
    ("POST /api/shipments/{id}/dispatch", [401, 403, 403, 200]),
    ("POST /api/shipments/{id}/deliver", [401, 403, 403, 200]),
    ("POST /api/orders/{id}/cancel", [401, 403, 403, 422]),
    ("POST /api/products/{id}/discontinue", [401, 403, 403, 200]),
    ("PUT /api/users/{id}/roles", [401, 403, 403, 200]),
    ("POST /api/users/{id}/deactivate", [401, 403, 403, 200]),
];

/// Customer B's things, which the callers are let loose on.
struct Fixture {
    user: String,
    email: String,
    product: String,
    cart: String,
    order: String,
    payment: String,
    shipment: String,
}

async fn fixture(shop: &Shop, name: &str) -> Fixture {
    let product = shop
        .product(&format!("SKU-{name}"), "kitchen", 1000, 100)
        .await;
    let email = format!("b-{name}@example.com");
    let (user, token) = shop.customer(&email).await;
    let order = shop
        .checkout_as(&token, &[(&product, 1)], "pm_card_ok")
        .await;
    let paid = shop.paid(&format!("/api/orders/{order}"), &token).await;
    let cart = shop
        .send(Method::POST, "/api/carts", Some(&token), None, &[])
        .await
        .id();
    let item = json!({"product_id": product, "quantity": 1});
    shop.post(&format!("/api/carts/{cart}/items"), Some(&token), item)
        .await;
    Fixture {
        user,
        email,
        product,
        cart,
        order,
        payment: paid.body["payment"]["id"].as_str().unwrap().to_owned(),
        shipment: paid.body["shipment"]["id"].as_str().unwrap().to_owned(),
    }
}

/// The request `op` makes on the fixture, as `caller`: its path (with a query where the
/// operation needs one) and its body.
fn request(op: &str, b: &Fixture, caller: &str) -> (String, Option<Value>) {
    let tag = caller.replace(' ', "-");
    let (path, body) = match op {
        "GET /health/live"
        | "GET /health/ready"
        | "GET /metrics"
        | "GET /api/products"
        | "GET /api/users/me"
        | "GET /api/orders"
        | "GET /api/admin/projections" => (op.split_once(' ').unwrap().1.to_owned(), None),
        "POST /api/auth/login" => (
            "/api/auth/login".into(),
            Some(json!({"email": b.email, "password": "not B's password"})),
        ),
        "POST /api/users" => (
            "/api/users".into(),
            Some(
                json!({"email": format!("new-{tag}@example.com"), "password": PASSWORD, "name": "New"}),
            ),
        ),
        "PATCH /api/users/me" => ("/api/users/me".into(), Some(json!({"name": "Renamed"}))),
        "GET /api/products/{id}" => (format!("/api/products/{}", b.product), None),
        "POST /api/products" => (
            "/api/products".into(),
            Some(
                json!({"sku": format!("NEW-{tag}"), "name": "New", "category": "kitchen",
                        "price": {"amount": 500, "currency": "EUR"}}),
            ),
        ),
        "PATCH /api/products/{id}" => (
            format!("/api/products/{}", b.product),
            Some(json!({"name": "Renamed mug"})),
        ),
        "PUT /api/products/{id}/price" => (
            format!("/api/products/{}/price", b.product),
            Some(json!({"price": {"amount": 1100, "currency": "EUR"}})),
        ),
        "POST /api/products/{id}/stock" => (
            format!("/api/products/{}/stock", b.product),
            Some(json!({"delta": 5, "reason": "recount"})),
        ),
        "POST /api/products/{id}/discontinue" => (
            format!("/api/products/{}/discontinue", b.product),
            Some(json!({"reason": "end of line"})),
        ),
        "GET /api/carts/{id}" => (format!("/api/carts/{}", b.cart), None),
        "POST /api/carts" => ("/api/carts".into(), None),
        "POST /api/carts/{id}/items" => (
            format!("/api/carts/{}/items", b.cart),
            Some(json!({"product_id": b.product, "quantity": 1})),
        ),
        "PUT /api/carts/{id}/items/{product_id}" => (
            format!("/api/carts/{}/items/{}", b.cart, b.product),
            Some(json!({"quantity": 2})),
        ),
        "DELETE /api/carts/{id}/items/{product_id}" => {
            (format!("/api/carts/{}/items/{}", b.cart, b.product), None)
        }
        "POST /api/carts/{id}/checkout" => (
            format!("/api/carts/{}/checkout", b.cart),
            Some(
                json!({"shipping_address": {"name": "B", "line1": "Main St 1", "city": "Berlin",
                                             "postal_code": "10115", "country": "DE"},
                        "payment_method": "pm_card_ok"}),
            ),
        ),
        "GET /api/orders/{id}" => (format!("/api/orders/{}", b.order), None),
        "GET /api/orders/{id}/shipment" => (format!("/api/orders/{}/shipment", b.order), None),
        "POST /api/orders/{id}/cancel" => (
            format!("/api/orders/{}/cancel", b.order),
            Some(json!({"reason": "changed my mind"})),
        ),
        "GET /api/payments/{id}" => (format!("/api/payments/{}", b.payment), None),
        "POST /api/payments/{id}/refund" => (
            format!("/api/payments/{}/refund", b.payment),
            Some(json!({"amount": {"amount": 100, "currency": "EUR"}, "reason": "scratched"})),
        ),
        "GET /api/shipments/{id}" => (format!("/api/shipments/{}", b.shipment), None),
        "POST /api/shipments/{id}/dispatch" => (
            format!("/api/shipments/{}/dispatch", b.shipment),
            Some(json!({"carrier": "DHL", "tracking_number": "JD1"})),
        ),
        "POST /api/shipments/{id}/deliver" => (
            format!("/api/shipments/{}/deliver", b.shipment),
            Some(json!({})),
        ),
        "GET /api/audit/orders/{id}/events" => {
            (format!("/api/audit/orders/{}/events", b.order), None)
        }
        "GET /api/audit/orders/{id}/state" => {
            (format!("/api/audit/orders/{}/state", b.order), None)
        }
        "GET /api/audit/orders/{id}/verify" => {
            (format!("/api/audit/orders/{}/verify", b.order), None)
        }
        "GET /api/reports/sales/daily" => {
            let today = chrono::Utc::now().date_naive();
            let from = today - chrono::Days::new(30);
            (
                format!("/api/reports/sales/daily?from={from}&to={today}"),
                None,
            )
        }
        "GET /api/reports/products/top" => ("/api/reports/products/top?limit=5".into(), None),
        "GET /api/reports/inventory/low-stock" => (
            "/api/reports/inventory/low-stock?threshold=1000".into(),
            None,
        ),
        "POST /api/admin/projections/{name}/rebuild" => {
            ("/api/admin/projections/users/rebuild".into(), None)
        }
        "PUT /api/users/{id}/roles" => (
            format!("/api/users/{}/roles", b.user),
            Some(json!({"roles": ["customer", "auditor"]})),
        ),
        "POST /api/users/{id}/deactivate" => (
            format!("/api/users/{}/deactivate", b.user),
            Some(json!({"reason": "matrix test"})),
        ),
        other => panic!("the matrix has no request for {other}"),
    };
    (path, body)
}

/// Every operation of the served OpenAPI document, as `METHOD /path`.
async fn documented(shop: &Shop) -> BTreeSet<String> {
    let doc = shop
        .send(Method::GET, "/api-docs/openapi.json", None, None, &[])
        .await;
    assert_eq!(doc.status, 200);
    let mut ops = BTreeSet::new();
    for (path, item) in doc.body["paths"].as_object().unwrap() {
        for method in ["get", "put", "post", "delete", "patch", "head", "options"] {
            if item.get(method).is_some() {
                ops.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    ops
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_answers_every_caller_as_the_table_says() {
    let shop = spawn_shop().await;
    let table: BTreeSet<String> = EXPECTED.iter().map(|(op, _)| (*op).to_owned()).collect();
    assert_eq!(
        table.len(),
        EXPECTED.len(),
        "an operation is in the table twice"
    );
    let served = documented(&shop).await;
    let missing: Vec<_> = served.difference(&table).collect();
    assert!(
        missing.is_empty(),
        "operations without expected statuses: {missing:?}"
    );
    let gone: Vec<_> = table.difference(&served).collect();
    assert!(
        gone.is_empty(),
        "table rows the document does not have: {gone:?}"
    );

    let (auditor_id, _) = shop.customer("auditor@example.com").await;
    shop.send(
        Method::PUT,
        &format!("/api/users/{auditor_id}/roles"),
        Some(&shop.admin),
        Some(json!({"roles": ["auditor"]})),
        &[],
    )
    .await;
    let auditor = shop.login("auditor@example.com", PASSWORD).await;
    let (_, other) = shop.customer("a@example.com").await;
    let tokens = [None, Some(other), Some(auditor), Some(shop.admin.clone())];

    let mut wrong = Vec::new();
    for (column, caller) in CALLERS.iter().enumerate() {
        let b = fixture(&shop, &caller.replace(' ', "-")).await;
        for (op, expected) in EXPECTED {
            let method: Method = op.split_once(' ').unwrap().0.parse().unwrap();
            let (path, body) = request(op, &b, caller);
            // Every call acts on a settled shop: the checkout process has reacted to the
            // calls before (an admin's delivery marks the order delivered), and reads wait
            // for the read models to show it. No answer depends on timing.
            let settled = shop.settled().await.to_string();
            let headers: Vec<(&str, &str)> = if method == Method::GET {
                vec![("X-Min-Position", settled.as_str())]
            } else {
                Vec::new()
            };
            let answer = shop
                .send(method, &path, tokens[column].as_deref(), body, &headers)
                .await;
            if answer.status.as_u16() != expected[column] {
                wrong.push(format!(
                    "{op} as {caller}: {} (expected {}) {}",
                    answer.status.as_u16(),
                    expected[column],
                    answer.body
                ));
            }
            if answer.status.is_client_error() || answer.status.is_server_error() {
                assert_eq!(
                    answer.headers["content-type"], "application/problem+json",
                    "{op} as {caller}"
                );
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} answers differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
