//! `GET /metrics` end to end, on the embedded shop over real SQLite files and a real HTTP
//! server on port 0: the scrape parses strictly, and it moves as commands run.
//!
//! The registry is process-wide, so this test runs in a binary of its own, where no other
//! test's requests, commands or appends move the counters: the expected changes are exact.

// A failed step aborts the test with its message; that is what unwrap is for here.
#![allow(clippy::unwrap_used)]

mod exposition;
#[path = "../shop/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use exposition::Scrape;
use helpers::{Shop, assert_problem, spawn_shop};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::{Duration, Instant};

const PROJECTIONS: [&str; 8] = [
    "catalog",
    "inventory",
    "carts",
    "orders",
    "payments",
    "shipments",
    "users",
    "reporting",
];

async fn scrape(shop: &Shop) -> Scrape {
    let response = shop
        .client
        .get(format!("{}/metrics", shop.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    Scrape::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// Scrapes until `done` holds; panics after 20 s.
async fn scrape_until(shop: &Shop, what: &str, done: impl Fn(&Scrape) -> bool) -> Scrape {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let scrape = scrape(shop).await;
        if done(&scrape) {
            return scrape;
        }
        assert!(Instant::now() < deadline, "never saw {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

const REQUESTS: &str = "ecommerce_http_requests_total";
const COMMANDS: &str = "ecommerce_commands_total";
const APPENDS: &str = "ecommerce_event_store_append_duration_seconds_count";
const BATCH_COUNT: &str = "ecommerce_event_store_append_batch_size_count";
const BATCH_SUM: &str = "ecommerce_event_store_append_batch_size_sum";
const POSITION: &str = "ecommerce_projection_position";

fn requests(scrape: &Scrape, method: &str, route: &str, status: &str) -> f64 {
    let labels = [("method", method), ("route", route), ("status", status)];
    scrape.value(REQUESTS, &labels)
}

fn commands(scrape: &Scrape, aggregate: &str, command: &str, outcome: &str) -> f64 {
    let labels = [
        ("aggregate", aggregate),
        ("command", command),
        ("outcome", outcome),
    ];
    scrape.value(COMMANDS, &labels)
}

fn total(scrape: &Scrape, name: &str, label: &str, value: &str) -> f64 {
    scrape
        .series(name)
        .into_iter()
        .filter(|(labels, _)| labels.get(label).map(String::as_str) == Some(value))
        .map(|(_, v)| v)
        .sum()
}

// One test: a second one would run beside it in this process and move the same counters.
#[tokio::test]
async fn the_scrape_parses_and_moves_with_requests_commands_appends_and_projections() {
    let shop = spawn_shop().await;
    check_openmetrics_and_openapi(&shop).await;
    let start = shop.events.head().await.unwrap();
    // The projections report the log as it is, before anything this test sends.
    let before = scrape_until(&shop, "every projection caught up", |s| {
        PROJECTIONS
            .iter()
            .all(|p| s.value(POSITION, &[("projection", p)]) == start as f64)
    })
    .await;
    assert_eq!(before.kind(REQUESTS), Some("counter"));
    assert_eq!(
        before.kind("ecommerce_http_request_duration_seconds"),
        Some("histogram")
    );
    assert_eq!(before.kind(POSITION), Some("gauge"));

    // A registration, a product created by the admin, and a refused stock change.
    let user = shop
        .post(
            "/api/users",
            None,
            json!({"email": "metrics@example.com", "password": helpers::PASSWORD, "name": "Ann Lee"}),
        )
        .await
        .id();
    let product = shop.product("METRIC-1", "kitchen", 1299, 5).await;
    let refused = shop
        .send(
            Method::POST,
            &format!("/api/products/{product}/stock"),
            Some(&shop.admin),
            Some(json!({"delta": -1000, "reason": "miscount"})),
            &[],
        )
        .await;
    assert_problem(&refused, StatusCode::UNPROCESSABLE_ENTITY);
    // Refused before anything is appended (the SKU is not even claimed).
    let too_much = json!({"sku": "METRIC-2", "name": "Mug", "description": "", "category": "kitchen",
        "price": {"amount": 100, "currency": "EUR"}, "initial_stock": 1_000_000_001u32});
    let refused = shop
        .send(
            Method::POST,
            "/api/products",
            Some(&shop.admin),
            Some(too_much),
            &[],
        )
        .await;
    assert_problem(&refused, StatusCode::UNPROCESSABLE_ENTITY);
    let head = shop.events.head().await.unwrap();
    assert!(head > start);

    // The checkout process follows the log too, reported as the `checkout` projection.
    let after = scrape_until(
        &shop,
        "every projection and the checkout at the new head",
        |s| {
            PROJECTIONS
                .iter()
                .chain(&["checkout"])
                .all(|p| s.value(POSITION, &[("projection", p)]) == head as f64)
        },
    )
    .await;

    // Requests, under their route templates.
    let moved = |f: &dyn Fn(&Scrape) -> f64| f(&after) - f(&before);
    assert_eq!(moved(&|s| requests(s, "POST", "/api/users", "201")), 1.0);
    assert_eq!(moved(&|s| requests(s, "POST", "/api/products", "201")), 1.0);
    assert_eq!(moved(&|s| requests(s, "POST", "/api/products", "422")), 1.0);
    let stock = "/api/products/{id}/stock";
    assert_eq!(moved(&|s| requests(s, "POST", stock, "422")), 1.0);
    let latency = "ecommerce_http_request_duration_seconds_count";
    let users_route = [("method", "POST"), ("route", "/api/users")];
    assert_eq!(moved(&|s| s.value(latency, &users_route)), 1.0);
    assert!(moved(&|s| requests(s, "GET", "/metrics", "200")) >= 1.0);

    // Commands, by aggregate, command and outcome.
    assert_eq!(moved(&|s| commands(s, "user", "register", "ok")), 1.0);
    assert_eq!(moved(&|s| commands(s, "product", "create", "ok")), 1.0);
    assert_eq!(moved(&|s| commands(s, "product", "create", "refused")), 1.0);
    assert_eq!(
        moved(&|s| commands(s, "product", "adjust_stock", "refused")),
        1.0
    );

    // Appends: one per command that wrote, and their batch sizes add up to the new events.
    let written = moved(&|s| total(s, COMMANDS, "outcome", "ok"));
    assert!(written >= 2.0, "{written} commands wrote");
    assert_eq!(moved(&|s| s.value(APPENDS, &[("outcome", "ok")])), written);
    assert_eq!(moved(&|s| s.value(BATCH_COUNT, &[])), written);
    assert_eq!(moved(&|s| s.value(BATCH_SUM, &[])), (head - start) as f64);

    // Projections and the checkout: moved to the head, no lag, none parked.
    for projection in PROJECTIONS.into_iter().chain(["checkout"]) {
        let labels = [("projection", projection)];
        assert!(after.value(POSITION, &labels) > before.value(POSITION, &labels));
        assert_eq!(after.value("ecommerce_projection_lag_events", &labels), 0.0);
        assert_eq!(
            after.value("ecommerce_projection_lag_seconds", &labels),
            0.0
        );
        assert_eq!(after.value("ecommerce_projection_parked", &labels), 0.0);
    }

    // No id, path or token became a label value.
    for value in after.label_values() {
        for secret in [&user, &product, &shop.admin] {
            assert!(!value.contains(secret.as_str()), "label value {value:?}");
        }
    }
}

/// Prometheus asks for OpenMetrics first; the route is in the OpenAPI document.
async fn check_openmetrics_and_openapi(shop: &Shop) {
    let response = shop
        .client
        .get(format!("{}/metrics", shop.base))
        .header("accept", "application/openmetrics-text; version=1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");
    assert!(text.contains("# TYPE ecommerce_commands counter"), "{text}");

    let openapi = shop
        .send(Method::GET, "/api-docs/openapi.json", None, None, &[])
        .await;
    assert!(openapi.body["paths"]["/metrics"]["get"].is_object());
}
