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

use axum::Router;
use axum::routing::{get, post};
use binary::Server;
use serde_json::json;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

const CUSTOMERS: usize = 256;
const PRODUCTS: usize = 20;
const PASSWORD: &str = "a customer's password";

/// What wrk measured.
#[derive(Debug, Default)]
struct Run {
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    statuses: BTreeMap<u16, u64>,
}

impl Run {
    fn failures(&self) -> u64 {
        self.statuses
            .iter()
            .filter(|(status, _)| !(200..300).contains(*status))
            .map(|(_, n)| n)
            .sum()
    }
}

/// A duration as wrk prints it (`812.00us`, `3.21ms`, `1.02s`), in milliseconds.
fn millis(text: &str) -> f64 {
    let (number, factor) = if let Some(n) = text.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1000.0)
    } else {
        (text, 1.0)
    };
    number.parse::<f64>().unwrap_or(f64::NAN) * factor
}

/// Runs wrk with `script` against `base` and reads its report.
fn wrk(base: &str, script: &str, seconds: u64, dir: &Path) -> Run {
    let path = dir.join(format!("script-{}.lua", uuid::Uuid::now_v7().simple()));
    std::fs::write(&path, script).unwrap();
    let output = std::process::Command::new("wrk")
        .args(["-t2", "-c64", &format!("-d{seconds}s"), "--latency", "-s"])
        .arg(&path)
        .arg(base)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    let mut run = Run::default();
    for line in text.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["Requests/sec:", n] => run.per_second = n.parse().unwrap_or(0.0),
            ["50%", t] => run.p50_ms = millis(t),
            ["99%", t] => run.p99_ms = millis(t),
            ["status", code, n] => {
                run.statuses
                    .insert(code.parse().unwrap(), n.parse().unwrap());
            }
            _ => {}
        }
    }
    assert!(run.per_second > 0.0, "wrk said:\n{text}");
    run
}

/// Counts answers by status in every thread and prints them at the end.
const COUNT_STATUSES: &str = r#"
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init() statuses = {} end
function response(status) statuses[status] = (statuses[status] or 0) + 1 end
function done()
  local total = {}
  for _, t in ipairs(threads) do
    for code, n in pairs(t:get("statuses")) do total[code] = (total[code] or 0) + n end
  end
  for code, n in pairs(total) do io.write(string.format("status %d %d\n", code, n)) end
end
"#;

/// A script that adds one unit of a random product to a random cart of `carts`.
fn adds(carts: &[(String, String)], products: &[String]) -> String {
    let mut script = String::from("local carts = {\n");
    for (cart, token) in carts {
        writeln!(script, "  {{\"{cart}\", \"{token}\"}},").unwrap();
    }
    script.push_str("}\nlocal products = {\n");
    for product in products {
        writeln!(script, "  \"{product}\",").unwrap();
    }
    script.push_str(
        r#"}
function request()
  local cart = carts[math.random(#carts)]
  local product = products[math.random(#products)]
  return wrk.format("POST", "/api/carts/" .. cart[1] .. "/items",
    {["Authorization"] = "Bearer " .. cart[2], ["Content-Type"] = "application/json"},
    '{"product_id":"' .. product .. '","quantity":1}')
end
"#,
    );
    script + COUNT_STATUSES
}

/// A script that GETs a random product of `products`.
fn reads(products: &[String]) -> String {
    let mut script = String::from("local products = {\n");
    for product in products {
        writeln!(script, "  \"{product}\",").unwrap();
    }
    script.push_str(
        r#"}
function request()
  return wrk.format("GET", "/api/products/" .. products[math.random(#products)])
end
"#,
    );
    script + COUNT_STATUSES
}

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

/// Products, customers and their carts; the carts with their owners' tokens.
async fn shop(server: &Server) -> (Vec<String>, Vec<(String, String)>) {
    let (_, admin) = server
        .login("admin@example.com", "the admin's password")
        .await;
    let admin = admin.unwrap();
    let mut products = Vec::new();
    for n in 0..PRODUCTS {
        let body = json!({"sku": format!("LOAD-{n}"), "name": "Mug", "category": "kitchen",
                          "price": {"amount": 100, "currency": "EUR"},
                          "initial_stock": 1_000_000});
        let (status, made) = server.post("/api/products", Some(&admin), body).await;
        assert_eq!(status, 201, "{made}");
        products.push(made["id"].as_str().unwrap().to_owned());
    }
    let mut carts = Vec::new();
    for n in 0..CUSTOMERS {
        let email = format!("load{n}@example.com");
        server.register(&email, PASSWORD).await;
        let (_, token) = server.login(&email, PASSWORD).await;
        let token = token.unwrap();
        let (status, cart) = server.post("/api/carts", Some(&token), json!({})).await;
        assert_eq!(status, 201, "{cart}");
        carts.push((cart["id"].as_str().unwrap().to_owned(), token));
    }
    (products, carts)
}

/// A process's resident memory, from `/proc`.
fn rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
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
    if std::process::Command::new("wrk")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipping: install wrk (apt-get install wrk) to run the HTTP load bench");
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
