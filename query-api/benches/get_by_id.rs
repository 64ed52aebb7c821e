//! GET-by-id query throughput: `GET /api/products/{id}` from 16, then 64 concurrent clients
//! against the query API over a SQLite catalog of 1,000 products, and the same clients against a
//! bare axum endpoint answering a product-sized JSON, in one run (goals: ratio at least 0.25,
//! p99 under 2 ms). Server and clients share the machine's two cores, so with many clients the
//! p99 is mostly queueing: both concurrencies are printed.
//!
//! `cargo bench -p query-api --bench get_by_id`

// A failed step aborts the run with its message; that is what unwrap is for here.
#![allow(clippy::unwrap_used)]

use axum::Json;
use axum::routing::get;
use domain::product::ProductEvent;
use domain::values::*;
use infra::auth::{Secret, Tokens};
use infra::event_store::{AppendRequest, EventMetadata, EventStore, ExpectedVersion, NewEvent};
use infra::read_store::ReadStore;
use infra::read_store::sqlite::SqliteReadStore;
use infra::sqlite::Durability;
use infra::{SqliteConfig, SqliteEventStore};
use projections::models::catalog::Catalog;
use projections::runtime::{Options, Positions, Projector};
use query_api::QueryState;
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};

const PRODUCTS: usize = 1000;
const PER_CLIENT: usize = 400;

struct Figures {
    per_second: f64,
    p50: Duration,
    p99: Duration,
}

async fn load(base: String, ids: Arc<Vec<String>>, clients: usize) -> Figures {
    let client = reqwest::Client::new();
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let (client, base, ids) = (client.clone(), base.clone(), ids.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(PER_CLIENT);
                for i in 0..PER_CLIENT {
                    let id = &ids[(c * 7919 + i * 104_729) % ids.len()];
                    let sent = Instant::now();
                    let response = client
                        .get(format!("{base}/api/products/{id}"))
                        .send()
                        .await
                        .unwrap();
                    assert!(response.status().is_success());
                    response.bytes().await.unwrap();
                    latencies.push(sent.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.unwrap());
    }
    let took = started.elapsed();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    Figures {
        per_second: latencies.len() as f64 / took.as_secs_f64(),
        p50: at(0.5),
        p99: at(0.99),
    }
}

async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    base
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = SqliteConfig::new(dir.path().join("events.db"));
    config.durability = Durability::Normal;
    let events: Arc<dyn EventStore> =
        Arc::new(SqliteEventStore::open(config, domain::schema::Upcasters::domain()).unwrap());
    let mut ids = Vec::new();
    for i in 0..PRODUCTS {
        let id = uuid::Uuid::now_v7();
        let created = ProductEvent::ProductCreated {
            product_id: id.into(),
            sku: Sku::parse(&format!("SKU-{i}")).unwrap(),
            name: ProductName::parse(&format!("Stoneware mug {i}")).unwrap(),
            description: Description::parse("A sturdy mug for coffee and tea, 300 ml").unwrap(),
            category: Category::parse("kitchen").unwrap(),
            price: Money::new(1299, Currency::parse("EUR").unwrap()).unwrap(),
            initial_stock: 100,
        };
        let (event_type, version, payload) = infra::event_store::codec::encode(&created).unwrap();
        events
            .append(AppendRequest {
                stream: format!("product-{id}"),
                expected: ExpectedVersion::NoStream,
                events: vec![NewEvent::new(event_type, version, payload)],
                metadata: EventMetadata::new(chrono::Utc::now()),
            })
            .await
            .unwrap();
        ids.push(id.to_string());
    }
    let read: Arc<dyn ReadStore> =
        Arc::new(SqliteReadStore::open(dir.path().join("read.db")).unwrap());
    Projector::new(
        Arc::new(Catalog),
        events.clone(),
        read.clone(),
        Positions::default(),
        "bench",
        Options::default(),
    )
    .catch_up()
    .await
    .unwrap();
    let state = QueryState {
        read: read.clone(),
        versions: Default::default(),
        events: events.clone(),
        ops: projections::ops::state::OpsState::open(read.clone())
            .await
            .unwrap(),
        positions: Positions::default(),
        tokens: Tokens::new(&Secret::new("x".repeat(32)), Duration::from_secs(60)).unwrap(),
        max_wait: Duration::from_secs(1),
        waits: Arc::new(tokio::sync::Semaphore::new(1024)),
        checkpoints: Default::default(),
    };
    let (router, _) = query_api::parts(state, &query_api::Model::ALL);
    let ours = serve(router).await;
    let sample: Value = reqwest::get(format!("{ours}/api/products/{}", ids[0]))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bare = serve(axum::Router::new().route(
        "/api/products/{id}",
        get(move || {
            let body = sample.clone();
            async move { Json(body) }
        }),
    ))
    .await;
    let ids = Arc::new(ids);
    println!(
        "GET /api/products/{{id}}, {PER_CLIENT} requests per client, {PRODUCTS} products in SQLite"
    );
    for clients in [16, 64] {
        let baseline = load(bare.clone(), ids.clone(), clients).await;
        let measured = load(ours.clone(), ids.clone(), clients).await;
        for (name, f) in [
            ("bare axum JSON endpoint", &baseline),
            ("query API", &measured),
        ] {
            println!(
                "  {clients:>2} clients  {name:<24} {:>8.0} requests/s   p50 {:>5.2} ms   p99 {:>5.2} ms",
                f.per_second,
                f.p50.as_secs_f64() * 1e3,
                f.p99.as_secs_f64() * 1e3
            );
        }
        println!(
            "  {clients:>2} clients  ratio query API / bare: {:.2}   (goals: ratio >= 0.25, p99 < 2 ms)",
            measured.per_second / baseline.per_second
        );
    }
}
