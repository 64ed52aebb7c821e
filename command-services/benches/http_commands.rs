//! HTTP command throughput: add-to-cart from 64 concurrent clients against the real service
//! (SQLite, durable commits), and the same clients against a bare axum JSON endpoint, in one
//! run on one machine, so the ratio holds on a noisy machine.
//!
//! `cargo bench -p command-services --bench http_commands` prints commands/s, p50 and p99 for
//! both, and the ratio. Goal: at least 10,000 commands/s and p99 under 10 ms.

// A failed step aborts the run with its message; that is what unwrap is for here.
#![allow(clippy::unwrap_used)]

use axum::Json;
use axum::routing::post;
use command_services::App;
use domain::schema::Upcasters;
use infra::auth::Secret;
use infra::config::{Layer, Settings};
use infra::event_store::EventStore;
use infra::{SqliteConfig, SqliteEventStore};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CLIENTS: usize = 64;
const PER_CLIENT: usize = 250;
const WARM_UP: usize = 10;

struct Figures {
    per_second: f64,
    p50: Duration,
    p99: Duration,
}

/// Runs `CLIENTS` clients, each sending `PER_CLIENT` requests built by `request`.
async fn load<F>(request: F) -> Figures
where
    F: Fn(usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let request = Arc::new(request);
    let started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let request = request.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(PER_CLIENT);
                for _ in 0..PER_CLIENT {
                    let sent = Instant::now();
                    let response = request(client).send().await.unwrap();
                    assert!(response.status().is_success(), "{}", response.status());
                    response.bytes().await.unwrap();
                    latencies.push(sent.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for client in clients {
        latencies.extend(client.await.unwrap());
    }
    let took = started.elapsed();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    Figures {
        per_second: latencies.len() as f64 / took.as_secs_f64(),
        p50: at(0.50),
        p99: at(0.99),
    }
}

async fn bare_endpoint() -> String {
    async fn echo(Json(body): Json<Value>) -> Json<Value> {
        Json(json!({"id": body["product_id"], "position": 1}))
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().route("/api/carts/{id}/items", post(echo));
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

async fn shop(dir: &std::path::Path) -> (String, String) {
    let settings = Settings::resolve(Layer {
        addr: Some("127.0.0.1:0".parse().unwrap()),
        data_dir: Some(dir.to_owned()),
        admin_email: Some("admin@example.com".into()),
        admin_password: Some(Secret::new("admin password 1")),
        // Sign-in limits are tested on their own; here every test signs in freely.
        auth_rate_per_address: Some(0),
        auth_rate_per_account: Some(0),
        login_lockout_after: Some(0),
        // Many sign-ins at once on a slow debug build: let them queue.
        password_queue: Some(10_000),
        password_queue_wait_ms: Some(60_000),
        ..Layer::default()
    })
    .unwrap();
    let store: Arc<dyn EventStore> = Arc::new(
        SqliteEventStore::open(
            SqliteConfig::new(dir.join("events.db")),
            Upcasters::domain(),
        )
        .unwrap(),
    );
    let app = App::build(&settings, store).await.unwrap();
    let base = format!("http://{}", app.addr());
    tokio::spawn(app.run(std::future::pending()));
    (base, "admin@example.com".into())
}

async fn call(
    client: &reqwest::Client,
    url: String,
    token: Option<&str>,
    body: Option<Value>,
) -> Value {
    let mut request = client.post(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    response.json().await.unwrap()
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    let (shop, admin_email) = shop(dir.path()).await;
    let login = |email: String, password: &'static str| {
        let (client, shop) = (client.clone(), shop.clone());
        async move {
            call(
                &client,
                format!("{shop}/api/auth/login"),
                None,
                Some(json!({"email": email, "password": password})),
            )
            .await["access_token"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let admin = login(admin_email, "admin password 1").await;
    let product = call(
        &client,
        format!("{shop}/api/products"),
        Some(&admin),
        Some(json!({
            "sku": "BENCH-1", "name": "Bench mug", "category": "bench",
            "price": {"amount": 100, "currency": "EUR"}, "initial_stock": 0
        })),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut carts = Vec::new();
    for c in 0..CLIENTS {
        let email = format!("client{c}@example.com");
        call(
            &client,
            format!("{shop}/api/users"),
            None,
            Some(json!({"email": email, "password": "bench password", "name": "Client"})),
        )
        .await;
        let token = login(email, "bench password").await;
        let cart = call(&client, format!("{shop}/api/carts"), Some(&token), None).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        for _ in 0..WARM_UP {
            call(
                &client,
                format!("{shop}/api/carts/{cart}/items"),
                Some(&token),
                Some(json!({"product_id": product, "quantity": 1})),
            )
            .await;
        }
        carts.push((cart, token));
    }
    let carts = Arc::new(carts);
    let body = json!({"product_id": product, "quantity": 1});

    let bare = bare_endpoint().await;
    let (c, b) = (client.clone(), body.clone());
    let baseline = load(move |i| c.post(format!("{bare}/api/carts/{i}/items")).json(&b)).await;

    let (c, b, s) = (client.clone(), body.clone(), shop.clone());
    let ours = load(move |i| {
        let (cart, token) = &carts[i];
        c.post(format!("{s}/api/carts/{cart}/items"))
            .bearer_auth(token)
            .json(&b)
    })
    .await;

    println!("HTTP add-to-cart, {CLIENTS} concurrent clients x {PER_CLIENT} requests");
    for (name, f) in [
        ("bare axum JSON endpoint", &baseline),
        ("ecommerce (SQLite, FULL)", &ours),
    ] {
        println!(
            "  {name:<26} {:>8.0} commands/s   p50 {:>6.2} ms   p99 {:>6.2} ms",
            f.per_second,
            f.p50.as_secs_f64() * 1e3,
            f.p99.as_secs_f64() * 1e3
        );
    }
    println!(
        "  ratio ecommerce / bare: {:.2}   (goals: >= 10,000 commands/s, p99 < 10 ms)",
        ours.per_second / baseline.per_second
    );
}
