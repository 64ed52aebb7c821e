//! What the load benches share: `wrk` runs with Lua scripts and their reports, a shop of
//! products and customers' carts set up over HTTP, and a process's resident memory.

use super::binary::Server;
use serde_json::json;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// Customers, each with a cart.
pub const CUSTOMERS: usize = 256;
/// Products on sale.
pub const PRODUCTS: usize = 20;
/// Every customer's password.
pub const PASSWORD: &str = "a customer's password";

/// What wrk measured.
#[derive(Debug, Default)]
pub struct Run {
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub statuses: BTreeMap<u16, u64>,
}

impl Run {
    pub fn failures(&self) -> u64 {
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
pub fn wrk(base: &str, script: &str, seconds: u64, dir: &Path) -> Run {
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
pub fn adds(carts: &[(String, String)], products: &[String]) -> String {
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
pub fn reads(products: &[String]) -> String {
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

/// Products, customers and their carts; the carts with their owners' tokens.
pub async fn shop(server: &Server) -> (Vec<String>, Vec<(String, String)>) {
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
pub fn rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// True when `wrk` can be run; otherwise says how to install it, for `bench`.
pub fn wrk_installed(bench: &str) -> bool {
    let found = std::process::Command::new("wrk")
        .arg("--version")
        .output()
        .is_ok();
    if !found {
        eprintln!("skipping: install wrk (apt-get install wrk) to run the {bench}");
    }
    found
}
