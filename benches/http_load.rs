//! The whole server under load from outside: the release binary (`ecommerce serve`, default
//! durability) driven over HTTP by `wrk` (Debian package) with Lua scripts, side by side in
//! the same run with a bare axum server answering the same JSON, so the figures are read as
//! ratios on a shared machine. Scenarios (each `BENCH_SECONDS`, default 20 s, 2 threads and
//! 64 connections):
//!
//! - add-to-cart over 256 customers' carts and 20 products, against bare POST;
//! - a hot cart: the same adds, all on one cart (no answer may be a conflict);
//! - GET a product by id, against bare GET.
//!
//! ```sh
//! cargo bench --bench http_load        # BENCH_SECONDS=60 for longer runs
//! ```

#![allow(clippy::unwrap_used)]

#[path = "../tests/security/binary.rs"]
#[allow(dead_code)]
mod binary;
#[path = "load/mod.rs"]
mod load;
use load::{CUSTOMERS, PRODUCTS, Run, adds, reads, rss_mb, shop, wrk};

use axum::Router;
use axum::routing::{get, post};
use binary::Server;
use serde_json::json;

/// A bare axum server answering the same shapes of JSON; its address.
async fn bare() -> String {
    let added = json!({"id": "01a23317-0348-7087-a59c-2e1fb9d6a55f", "version": 12,
                       "position": 4242});
    let product = json!({"id": "01a23317-0348-7087-a59c-2e1fb9d6a55f", "sku": "MUG-1",
        "name": "Stoneware mug", "description": "300 ml", "category": "kitchen",
        "price": {"amount": 1299, "currency": "EUR"}, "available": 25, "in_stock": true,
        "status": "active", "created_at": "2026-12-01T20:02:26.405966+00:00",
        "updated_at": "2026-12-01T20:02:26.405966+00:00"});
    let app = Router::new()
        .route(
            "/api/carts/{id}/items",
            post(move |_: axum::Json<serde_json::Value>| {
                let added = added.clone();
                async move { axum::Json(added) }
            }),
        )
        .route(
            "/api/products/{id}",
            get(move || {
                let product = product.clone();
                async move { axum::Json(product) }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

fn report(name: &str, run: &Run, bare: Option<&Run>) {
    let ratio = bare.map_or(String::new(), |b| {
        format!(
            ", {:.2}× bare axum ({:.0}/s)",
            run.per_second / b.per_second,
            b.per_second
        )
    });
    println!(
        "{name:<28} {:>8.0}/s  p50 {:>6.2} ms  p99 {:>6.2} ms  answers {:?}{ratio}",
        run.per_second, run.p50_ms, run.p99_ms, run.statuses
    );
}

#[tokio::main]
async fn main() {
    if !load::wrk_installed("HTTP load bench") {
        return;
    }
    let seconds: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        &dir.path().join("serve.log"),
        &[
            ("ECOMMERCE_ADMIN_EMAIL", "admin@example.com"),
            ("ECOMMERCE_ADMIN_PASSWORD", "the admin's password"),
            ("ECOMMERCE_DURABILITY", "full"),
            ("ECOMMERCE_AUTH_RATE_PER_ADDRESS", "0"),
            ("ECOMMERCE_AUTH_RATE_PER_ACCOUNT", "0"),
        ],
    );
    let (products, carts) = shop(&server).await;
    let bare = bare().await;
    let scripts = tempfile::tempdir().unwrap();
    println!(
        "HTTP load, wrk -t2 -c64, {seconds} s each; {CUSTOMERS} carts, {PRODUCTS} products; \
         the release binary with its defaults (synchronous=FULL, a log line per request)"
    );

    let pid = server.child.id();
    let after = |name: &str| {
        println!(
            "  after {name}: server RSS {:.0} MB, events.db-wal {:.1} MB",
            rss_mb(pid),
            std::fs::metadata(dir.path().join("events.db-wal")).map_or(0, |m| m.len()) as f64 / 1e6
        );
    };
    let bare_post = wrk(&bare, &adds(&carts, &products), seconds, scripts.path());
    let many = wrk(
        &server.base,
        &adds(&carts, &products),
        seconds,
        scripts.path(),
    );
    after("many carts");
    let hot = wrk(
        &server.base,
        &adds(&carts[..1], &products),
        seconds,
        scripts.path(),
    );
    after("the hot cart");
    let bare_get = wrk(&bare, &reads(&products), seconds, scripts.path());
    let get = wrk(&server.base, &reads(&products), seconds, scripts.path());
    after("the reads");

    report("bare axum POST", &bare_post, None);
    report("add-to-cart, many carts", &many, Some(&bare_post));
    report("add-to-cart, one hot cart", &hot, Some(&bare_post));
    report("bare axum GET", &bare_get, None);
    report("GET product by id", &get, Some(&bare_get));
    let goal = |met: bool| if met { "met" } else { "NOT met" };
    println!(
        "goals: many carts ≥ 10,000/s, ≥ 0.15× bare, p99 < 20 ms: {}; hot cart: 0 conflicts \
         ({} failures), ≥ 0.3× many carts ({:.2}): {}; GET ≥ 0.3× bare, p99 < 5 ms: {}",
        goal(
            many.per_second >= 10_000.0
                && many.per_second >= 0.15 * bare_post.per_second
                && many.p99_ms < 20.0
        ),
        hot.failures(),
        hot.per_second / many.per_second,
        goal(hot.failures() == 0 && hot.per_second >= 0.3 * many.per_second),
        goal(get.per_second >= 0.3 * bare_get.per_second && get.p99_ms < 5.0),
    );
    server.stop();
}
