//! A soak of the whole server: the release binary (`ecommerce serve`, default durability)
//! driven over HTTP until its log holds `BENCH_SOAK_EVENTS` events (1,000,000 by default).
//! `wrk` (2 threads, 64 connections) adds to 256 customers' carts in runs of
//! `BENCH_SOAK_CHUNK` seconds (60), while a client of its own registers new customers, fills
//! their carts and checks them out, so the checkout process and every projection work all
//! along. Every 5 s it samples the server's RSS and the size of `events.db-wal`.
//!
//! Goals: the add-to-cart rate of the last run ≥ 0.8× the first; the WAL under 64 MB and the
//! RSS under 300 MB at every sample.
//!
//! ```sh
//! cargo bench --bench soak       # needs wrk (apt-get install wrk); some minutes
//! ```

#![allow(clippy::unwrap_used)]

#[path = "../tests/security/binary.rs"]
#[allow(dead_code)]
mod binary;
#[path = "load/mod.rs"]
#[allow(dead_code)] // the soak only writes
mod load;

use binary::Server;
use load::{PASSWORD, adds, rss_mb, shop, wrk};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The log's head, read from the data folder.
fn events(db: &Path) -> u64 {
    let conn = rusqlite::Connection::open_with_flags(
        db,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .unwrap();
    conn.query_row("SELECT COALESCE(MAX(position), 0) FROM events", [], |r| {
        r.get(0)
    })
    .unwrap()
}

fn mb(path: &Path) -> f64 {
    std::fs::metadata(path).map_or(0, |m| m.len()) as f64 / 1e6
}

/// Registers customers and checks out their carts, one after another, until `stop`.
async fn shoppers(server: Arc<Server>, product: String, stop: Arc<AtomicBool>) -> u64 {
    let address = json!({"name": "Ann Lee", "line1": "Main Street 1", "city": "Berlin",
                         "postal_code": "10115", "country": "DE"});
    let mut paid_for = 0;
    while !stop.load(Ordering::SeqCst) {
        let email = format!("soak-{}@example.com", uuid::Uuid::now_v7().simple());
        server.register(&email, PASSWORD).await;
        let token = server.login(&email, PASSWORD).await.1.unwrap();
        let (_, cart) = server.post("/api/carts", Some(&token), json!({})).await;
        let cart = cart["id"].as_str().unwrap().to_owned();
        let add = json!({"product_id": product, "quantity": 1});
        let path = format!("/api/carts/{cart}/items");
        server.post(&path, Some(&token), add).await;
        let body = json!({"shipping_address": address, "payment_method": "pm_card_ok"});
        let path = format!("/api/carts/{cart}/checkout");
        let (status, _) = server.post(&path, Some(&token), body).await;
        paid_for += u64::from(status == 202);
    }
    paid_for
}

/// Samples RSS and WAL every 5 s until `stop`; answers the largest of each.
fn sampler(pid: u32, wal: PathBuf, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<(f64, f64)> {
    std::thread::spawn(move || {
        let (mut rss, mut wal_mb) = (0.0_f64, 0.0_f64);
        while !stop.load(Ordering::SeqCst) {
            rss = rss.max(rss_mb(pid));
            wal_mb = wal_mb.max(mb(&wal));
            std::thread::sleep(Duration::from_secs(5));
        }
        (rss, wal_mb)
    })
}

#[tokio::main]
async fn main() {
    if !load::wrk_installed("soak") {
        return;
    }
    let target = env("BENCH_SOAK_EVENTS", 1_000_000);
    let chunk = env("BENCH_SOAK_CHUNK", 60);
    let dir = tempfile::tempdir().unwrap();
    let server = Arc::new(Server::start(
        dir.path(),
        &dir.path().join("serve.log"),
        &[
            ("ECOMMERCE_ADMIN_EMAIL", "admin@example.com"),
            ("ECOMMERCE_ADMIN_PASSWORD", "the admin's password"),
            ("ECOMMERCE_DURABILITY", "full"),
            ("ECOMMERCE_AUTH_RATE_PER_ADDRESS", "0"),
            ("ECOMMERCE_AUTH_RATE_PER_ACCOUNT", "0"),
        ],
    ));
    let (db, wal) = (
        dir.path().join("events.db"),
        dir.path().join("events.db-wal"),
    );
    let (products, carts) = shop(&server).await;
    let scripts = tempfile::tempdir().unwrap();
    println!(
        "soak: until {target} events, wrk -t2 -c64 add-to-cart in runs of {chunk} s, and \
         registrations with checkouts alongside; the release binary with its defaults"
    );

    let stop = Arc::new(AtomicBool::new(false));
    let samples = sampler(server.child.id(), wal.clone(), stop.clone());
    let checkouts = tokio::spawn(shoppers(server.clone(), products[0].clone(), stop.clone()));
    let script = adds(&carts, &products);
    let mut rates = Vec::new();
    let mut failures = 0;
    loop {
        let run = wrk(&server.base, &script, chunk, scripts.path());
        failures += run.failures();
        let head = events(&db);
        println!(
            "  run {}: {:.0} adds/s, p99 {:.1} ms; {head} events; RSS {:.0} MB, WAL {:.1} MB",
            rates.len() + 1,
            run.per_second,
            run.p99_ms,
            rss_mb(server.child.id()),
            mb(&wal)
        );
        rates.push(run.per_second);
        if head >= target {
            break;
        }
    }
    stop.store(true, Ordering::SeqCst);
    let checked_out = checkouts.await.unwrap();
    let (rss, wal_mb) = samples.join().unwrap();
    let (first, last) = (rates[0], rates[rates.len() - 1]);
    println!(
        "{} events in {} runs; {checked_out} checkouts alongside; {} adds answered other than \
         2xx",
        events(&db),
        rates.len(),
        failures
    );
    let goal = |met: bool| if met { "met" } else { "NOT met" };
    println!(
        "goals: last run ≥ 0.8× the first ({last:.0} ÷ {first:.0} = {:.2}): {}; WAL < 64 MB \
         (largest {wal_mb:.1} MB): {}; RSS < 300 MB (largest {rss:.0} MB): {}",
        last / first,
        goal(last >= 0.8 * first),
        goal(wal_mb < 64.0),
        goal(rss < 300.0)
    );
    Arc::into_inner(server).unwrap().stop();
}
