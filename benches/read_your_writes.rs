//! Read-your-writes across processes: a command on a command process, then a query with the
//! command's position on a query process, while a projector process in between applies it;
//! the same on the all-in-one `serve`, in the same run. The release binary, driven over HTTP
//! from outside, 1,000 times each; p50 and p99 of the query's latency (the wait for the
//! position included) and of the whole round trip.
//!
//! Needs `ECOMMERCE_BENCH_POSTGRES_URL` (a server it may create databases on): the processes
//! share the events there, and PostgreSQL's NOTIFY wakes the projector of another process.
//! The read models are a SQLite file the processes share (`ECOMMERCE_BENCH_MONGODB_URI` puts
//! them in MongoDB instead).
//!
//! ```sh
//! ECOMMERCE_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!   cargo bench --bench read_your_writes
//! ```

#![allow(clippy::unwrap_used)]

#[path = "../tests/security/binary.rs"]
#[allow(dead_code)]
mod binary;

use binary::{Server, psql};
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};

const ROUNDS: usize = 1_000;
const SECRET: &str = "the benchmark's shared secret, 32 bytes or more";

fn database_url(base: &str, database: &str) -> String {
    let (server, _) = base.rsplit_once('/').unwrap();
    format!("{server}/{database}")
}

struct Figures {
    query: Vec<Duration>,
    round_trip: Vec<Duration>,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

impl Figures {
    fn print(&mut self, name: &str) -> Duration {
        self.query.sort();
        self.round_trip.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let p99 = percentile(&self.query, 0.99);
        println!(
            "{name:<32} query with position: p50 {:>6.2} ms, p99 {:>6.2} ms | command + query: p50 {:>6.2} ms, p99 {:>6.2} ms",
            ms(percentile(&self.query, 0.5)),
            ms(p99),
            ms(percentile(&self.round_trip, 0.5)),
            ms(percentile(&self.round_trip, 0.99)),
        );
        p99
    }
}

/// Price changes on `commands`, each read back at its position on `queries`.
async fn run(commands: &Server, queries: &Server, email: &str) -> Figures {
    let (_, token) = commands.login(email, "the admin's own password").await;
    let token = token.unwrap();
    let product = json!({"sku": "RYW-1", "name": "Mug", "category": "kitchen",
                         "price": {"amount": 100, "currency": "EUR"}});
    let (status, made) = commands.post("/api/products", Some(&token), product).await;
    assert_eq!(status, 201, "{made}");
    let id = made["id"].as_str().unwrap().to_owned();
    let mut figures = Figures {
        query: Vec::with_capacity(ROUNDS),
        round_trip: Vec::with_capacity(ROUNDS),
    };
    for n in 0..ROUNDS {
        let started = Instant::now();
        let price = json!({"price": {"amount": 101 + n, "currency": "EUR"}});
        let (status, changed) = commands
            .send(
                reqwest::Method::PUT,
                &format!("/api/products/{id}/price"),
                Some(&token),
                Some(price),
                &[],
            )
            .await;
        assert_eq!(status, 200, "{changed}");
        let position = changed["position"].to_string();
        let asked = Instant::now();
        let (status, view) = queries
            .send(
                reqwest::Method::GET,
                &format!("/api/products/{id}"),
                None,
                None,
                &[("X-Min-Position", position.as_str())],
            )
            .await;
        let done = Instant::now();
        assert_eq!(status, 200, "{view}");
        assert_eq!(view["price"]["amount"], 101 + n);
        figures.query.push(done - asked);
        figures.round_trip.push(done - started);
    }
    figures
}

fn envs<'a>(events: &'a str, read: &'a str, email: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut envs = vec![
        ("ECOMMERCE_EVENT_STORE", events),
        ("ECOMMERCE_JWT_SECRET", SECRET),
        ("ECOMMERCE_ADMIN_EMAIL", email),
        ("ECOMMERCE_ADMIN_PASSWORD", "the admin's own password"),
        ("ECOMMERCE_AUTH_RATE_PER_ADDRESS", "0"),
    ];
    if !read.is_empty() {
        envs.push(("ECOMMERCE_READ_STORE", read));
    }
    envs
}

fn start(dir: &Path, name: &str, mode: &[&str], envs: &[(&str, &str)]) -> Server {
    let mut all = envs.to_vec();
    all.push(("ECOMMERCE_INSTANCE", name));
    Server::start_mode(dir, &dir.join(format!("{name}.log")), mode, &all)
}

#[tokio::main]
async fn main() {
    let Ok(base) = std::env::var("ECOMMERCE_BENCH_POSTGRES_URL") else {
        eprintln!("skipping: set ECOMMERCE_BENCH_POSTGRES_URL to run the read-your-writes bench");
        return;
    };
    let mongo = std::env::var("ECOMMERCE_BENCH_MONGODB_URI").unwrap_or_default();
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let (split_db, whole_db) = (format!("ryw_split_{tag}"), format!("ryw_whole_{tag}"));
    for db in [&split_db, &whole_db] {
        assert!(psql(&base, &format!("CREATE DATABASE {db}")));
    }
    let read = |db: &str| {
        if mongo.is_empty() {
            String::new()
        } else {
            format!("{}/{db}", mongo.trim_end_matches('/'))
        }
    };
    println!(
        "read your writes, {ROUNDS} rounds; events on PostgreSQL, read models on {}",
        if mongo.is_empty() {
            "a shared SQLite file"
        } else {
            "MongoDB"
        }
    );

    // One data folder for the split processes: with no read store URL they share its read.db.
    let dir = tempfile::tempdir().unwrap();
    let (events, reads) = (database_url(&base, &split_db), read(&split_db));
    let env = envs(&events, &reads, "admin@example.com");
    let commands = start(dir.path(), "commands", &["commands"], &env);
    let projector = start(dir.path(), "projector", &["projector"], &env);
    let queries = start(dir.path(), "query", &["query"], &env);
    let mut split = run(&commands, &queries, "admin@example.com").await;
    for server in [commands, projector, queries] {
        server.stop();
    }

    let whole_dir = tempfile::tempdir().unwrap();
    let (events, reads) = (database_url(&base, &whole_db), read(&whole_db));
    let env = envs(&events, &reads, "admin@example.com");
    let serve = start(whole_dir.path(), "serve", &[], &env);
    let mut whole = run(&serve, &serve, "admin@example.com").await;
    serve.stop();

    let split_p99 = split.print("three processes");
    let whole_p99 = whole.print("all in one");
    println!(
        "p99 across processes ÷ in one process: {:.2} (goal: p99 across processes < 50 ms: {})",
        split_p99.as_secs_f64() / whole_p99.as_secs_f64().max(1e-9),
        if split_p99 < Duration::from_millis(50) {
            "met"
        } else {
            "NOT met"
        }
    );
    for db in [&split_db, &whole_db] {
        psql(&base, &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
    }
}
