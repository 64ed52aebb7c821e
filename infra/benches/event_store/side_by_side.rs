//! The same workloads on every backend, side by side: single-event appends from 32
//! concurrent tasks (each on its own stream, with its expected version), the same as
//! commands (load, handle and commit through cqrs-es, one `Product` per task, so each command
//! also replays its aggregate), the same commands through the command services' `Executor`
//! (which keeps recently used aggregates in memory and decides on them, the append's expected
//! version guarding against a stale copy), and batched appends of 100 events. PostgreSQL runs
//! when `ECOMMERCE_BENCH_POSTGRES_URL` names a server, with `postgres-es` 0.5 on the same server as the baseline (`bench/postgres-es-baseline`,
//! built and run by cargo: it cannot share this workspace's lock file).

use command_services::executor::{CommandMeta, Executor};
use domain::product::{Product, ProductCommand};
use domain::values::*;
use infra::event_store::{AggregateStore, AppendRequest, EventMetadata, EventStore};
use infra::event_store::{ExpectedVersion, NewEvent};
use sqlx::{Connection, PgConnection};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

pub const TASKS: usize = 32;
pub const COMMANDS_PER_TASK: usize = 100;
pub const BATCHES: usize = 200;
pub const BATCH_SIZE: usize = 100;

/// Events per second and the 99th percentile latency in milliseconds.
#[derive(Debug, Clone, Copy)]
pub struct Figure {
    pub rate: f64,
    pub p99_ms: f64,
}

fn figure(events: usize, took: Duration, mut latencies: Vec<Duration>) -> Figure {
    latencies.sort();
    let i = (latencies.len() * 99).div_ceil(100).saturating_sub(1);
    Figure {
        rate: events as f64 / took.as_secs_f64(),
        p99_ms: latencies.get(i).map_or(0.0, |d| d.as_secs_f64() * 1e3),
    }
}

fn create(id: Uuid) -> ProductCommand {
    ProductCommand::Create {
        product_id: ProductId::from_uuid(id),
        sku: Sku::parse("BENCH-1").unwrap(),
        name: ProductName::parse("Bench").unwrap(),
        description: Description::parse("").unwrap(),
        category: Category::parse("bench").unwrap(),
        price: Money::new(100, Currency::parse("EUR").unwrap()).unwrap(),
        initial_stock: 0,
    }
}

fn restock() -> ProductCommand {
    ProductCommand::AdjustStock {
        delta: 1,
        reason: Reason::parse("bench").unwrap(),
    }
}

/// Runs [`TASKS`] tasks, each making [`COMMANDS_PER_TASK`] calls of `step(its id, i)` one
/// after the other; the figure counts one event per call.
async fn per_task<F, Fut>(step: F) -> Figure
where
    F: Fn(Uuid, usize) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let started = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let step = step.clone();
            tokio::spawn(async move {
                let id = Uuid::now_v7();
                let mut latencies = Vec::with_capacity(COMMANDS_PER_TASK);
                for i in 0..COMMANDS_PER_TASK {
                    let t = Instant::now();
                    step(id, i).await;
                    latencies.push(t.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    figure(latencies.len(), started.elapsed(), latencies)
}

fn command(id: Uuid, i: usize) -> ProductCommand {
    if i == 0 { create(id) } else { restock() }
}

/// Single-event appends from [`TASKS`] tasks, each on its own stream.
pub async fn appends(store: Arc<dyn EventStore>) -> Figure {
    per_task(move |id, i| {
        let store = store.clone();
        async move {
            let request = AppendRequest {
                stream: format!("product-{id}"),
                expected: ExpectedVersion::Exact(i as u64),
                events: vec![NewEvent::new("StockAdjusted", 1, super::payload(i))],
                metadata: EventMetadata::new(chrono::Utc::now()),
            };
            store.append(request).await.unwrap();
        }
    })
    .await
}

/// Single-event commands from [`TASKS`] tasks, each on its own product, through bare cqrs-es
/// (every command loads and replays its product).
pub async fn commands(store: Arc<dyn EventStore>) -> Figure {
    let aggregates = AggregateStore::<Product>::new(store);
    per_task(move |id, i| {
        let aggregates = aggregates.clone();
        async move {
            let id_text = id.to_string();
            aggregates
                .execute(&id_text, command(id, i), &(), Default::default())
                .await
                .unwrap();
        }
    })
    .await
}

/// The same commands through the command services' executor, as an HTTP command runs them
/// (with a command id, so an idempotency record is stored too).
pub async fn executor_commands(store: Arc<dyn EventStore>) -> Figure {
    let executor = Arc::new(Executor::<Product>::new(store));
    per_task(move |id, i| {
        let executor = executor.clone();
        async move {
            let meta = CommandMeta::system("bench");
            executor
                .execute(&meta, &id.to_string(), command(id, i))
                .await
                .unwrap();
        }
    })
    .await
}

/// [`BATCHES`] appends of [`BATCH_SIZE`] events, one after the other.
pub async fn batched(store: Arc<dyn EventStore>) -> Figure {
    let mut latencies = Vec::with_capacity(BATCHES);
    let started = Instant::now();
    for _ in 0..BATCHES {
        let events = (0..BATCH_SIZE)
            .map(|i| NewEvent::new("StockAdjusted", 1, super::payload(i)))
            .collect();
        let request = AppendRequest {
            stream: format!("product-{}", Uuid::now_v7()),
            expected: ExpectedVersion::NoStream,
            events,
            metadata: EventMetadata::new(chrono::Utc::now()),
        };
        let t = Instant::now();
        store.append(request).await.unwrap();
        latencies.push(t.elapsed());
    }
    figure(BATCHES * BATCH_SIZE, started.elapsed(), latencies)
}

/// A new empty database on the server; its URL.
pub async fn fresh_database(server: &str, label: &str) -> String {
    let name = format!("bench_{label}_{}", Uuid::now_v7().simple());
    let mut admin = PgConnection::connect(server).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .unwrap();
    let (base, query) = server.split_once('?').unwrap_or((server, ""));
    let authority = base.find("://").map_or(0, |i| i + 3);
    let end = base[authority..]
        .find('/')
        .map_or(base.len(), |i| authority + i);
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    format!("{}/{name}{query}", &base[..end])
}

/// Drops the databases this run created.
pub async fn drop_databases(server: &str) {
    let mut admin = PgConnection::connect(server).await.unwrap();
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'bench\\_%'")
            .fetch_all(&mut admin)
            .await
            .unwrap();
    for name in names {
        let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut admin)
            .await;
    }
}

/// Builds and runs the postgres-es baseline on `url`: (appends, commands, batched).
pub fn postgres_es(url: &str) -> [Figure; 3] {
    let manifest =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench/postgres-es-baseline/Cargo.toml");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args(["run", "--quiet", "--release", "--manifest-path"])
        .arg(&manifest)
        .arg("--")
        .arg(url)
        .args([TASKS, COMMANDS_PER_TASK, BATCHES, BATCH_SIZE].map(|n| n.to_string()))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "postgres-es baseline failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let line = |name: &str| {
        let fields: Vec<f64> = stdout
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name} line in {stdout:?}"))
            .split_whitespace()
            .map(|f| f.parse().unwrap())
            .collect();
        Figure {
            rate: fields[0],
            p99_ms: fields[1],
        }
    };
    [line("appends "), line("commands "), line("batched ")]
}
