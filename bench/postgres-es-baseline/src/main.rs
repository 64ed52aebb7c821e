//! The postgres-es 0.5 baseline: the workloads of `infra/benches/event_store.rs`, run on
//! `postgres-es` against an empty database, printing one line per workload:
//! `<name> <events per second> <p99 milliseconds>`.
//!
//! Usage: `postgres-es-baseline POSTGRES_URL TASKS COMMANDS_PER_TASK BATCHES BATCH_SIZE`

use cqrs_es::Aggregate;
use cqrs_es::persist::{PersistedEventRepository, SerializedEvent};
use domain::product::{Product, ProductCommand, ProductEvent};
use domain::values::*;
use postgres_es::PostgresEventRepository;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

type Failure = Box<dyn std::error::Error + Send + Sync>;

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS events (
    aggregate_type text NOT NULL, aggregate_id text NOT NULL,
    sequence bigint CHECK (sequence >= 0) NOT NULL, event_type text NOT NULL,
    event_version text NOT NULL, payload json NOT NULL, metadata json NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id, sequence))";

fn create(id: Uuid) -> Result<ProductCommand, Failure> {
    Ok(ProductCommand::Create {
        product_id: ProductId::from_uuid(id),
        sku: Sku::parse("BENCH-1")?,
        name: ProductName::parse("Bench")?,
        description: Description::parse("")?,
        category: Category::parse("bench")?,
        price: Money::new(100, Currency::parse("EUR")?)?,
        initial_stock: 0,
    })
}

fn restock() -> Result<ProductCommand, Failure> {
    Ok(ProductCommand::AdjustStock {
        delta: 1,
        reason: Reason::parse("bench")?,
    })
}

fn p99(mut latencies: Vec<Duration>) -> f64 {
    latencies.sort();
    let i = (latencies.len() * 99).div_ceil(100).saturating_sub(1);
    latencies.get(i).map_or(0.0, |d| d.as_secs_f64() * 1e3)
}

async fn commands(url: &str, tasks: usize, per_task: usize) -> Result<(f64, f64), Failure> {
    let pool = postgres_es::default_postgress_pool(url).await;
    let cqrs = Arc::new(postgres_es::postgres_cqrs::<Product>(pool, vec![], ()));
    let started = Instant::now();
    let runs: Vec<_> = (0..tasks)
        .map(|_| {
            let cqrs = cqrs.clone();
            tokio::spawn(async move {
                let id = Uuid::now_v7();
                let mut latencies = Vec::with_capacity(per_task);
                for i in 0..per_task {
                    let command = if i == 0 { create(id)? } else { restock()? };
                    let t = Instant::now();
                    cqrs.execute(&id.to_string(), command).await?;
                    latencies.push(t.elapsed());
                }
                Ok::<_, Failure>(latencies)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for run in runs {
        latencies.extend(run.await??);
    }
    let rate = latencies.len() as f64 / started.elapsed().as_secs_f64();
    Ok((rate, p99(latencies)))
}

fn stock_adjusted(id: &str, sequence: usize) -> Result<SerializedEvent, Failure> {
    let event = ProductEvent::StockAdjusted {
        delta: 1,
        reason: Reason::parse("restock from the bench")?,
        on_hand: sequence as u32,
    };
    Ok(SerializedEvent::new(
        id.to_owned(),
        sequence,
        Product::TYPE.to_owned(),
        "StockAdjusted".to_owned(),
        "1".to_owned(),
        serde_json::to_value(&event)?,
        serde_json::json!({}),
    ))
}

async fn appends(url: &str, tasks: usize, per_task: usize) -> Result<(f64, f64), Failure> {
    let pool = postgres_es::default_postgress_pool(url).await;
    let repo = Arc::new(PostgresEventRepository::new(pool));
    let started = Instant::now();
    let runs: Vec<_> = (0..tasks)
        .map(|_| {
            let repo = repo.clone();
            tokio::spawn(async move {
                let id = Uuid::now_v7().to_string();
                let mut latencies = Vec::with_capacity(per_task);
                for i in 0..per_task {
                    let events = [stock_adjusted(&id, i + 1)?];
                    let t = Instant::now();
                    repo.persist::<Product>(&events, None).await?;
                    latencies.push(t.elapsed());
                }
                Ok::<_, Failure>(latencies)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for run in runs {
        latencies.extend(run.await??);
    }
    let rate = latencies.len() as f64 / started.elapsed().as_secs_f64();
    Ok((rate, p99(latencies)))
}

async fn batched(url: &str, batches: usize, size: usize) -> Result<(f64, f64), Failure> {
    let pool = postgres_es::default_postgress_pool(url).await;
    let repo = PostgresEventRepository::new(pool);
    let mut latencies = Vec::with_capacity(batches);
    let started = Instant::now();
    for _ in 0..batches {
        let id = Uuid::now_v7().to_string();
        let events = (0..size)
            .map(|i| stock_adjusted(&id, i + 1))
            .collect::<Result<Vec<_>, Failure>>()?;
        let t = Instant::now();
        repo.persist::<Product>(&events, None).await?;
        latencies.push(t.elapsed());
    }
    let rate = (batches * size) as f64 / started.elapsed().as_secs_f64();
    Ok((rate, p99(latencies)))
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, tasks, per_task, batches, size] = args.as_slice() else {
        return Err("usage: postgres-es-baseline URL TASKS COMMANDS_PER_TASK BATCHES SIZE".into());
    };
    let pool = postgres_es::default_postgress_pool(url).await;
    sqlx::query(SCHEMA).execute(&pool).await?;
    let (rate, p99) = appends(url, tasks.parse()?, per_task.parse()?).await?;
    println!("appends {rate:.0} {p99:.2}");
    let (rate, p99) = commands(url, tasks.parse()?, per_task.parse()?).await?;
    println!("commands {rate:.0} {p99:.2}");
    let (rate, p99) = batched(url, batches.parse()?, size.parse()?).await?;
    println!("batched {rate:.0} {p99:.2}");
    Ok(())
}
