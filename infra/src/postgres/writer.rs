//! The writer task: one per store, it takes every append that is waiting and writes them in
//! one transaction (group commit). A batch that lost a race to another process (a unique
//! violation or a deadlock) is retried one append at a time, each on a fresh view, so that
//! one append's race does not fail the others. Callers are answered after the commit.
//! A connection found dead before the commit was sent (typically after a server restart) is
//! dropped and the batch retried once on a new one, since nothing was written; a failure
//! after that fails the batch (`Unavailable`) but not the task: the next batch gets a new
//! connection from the pool.

use super::batch::{self, Written};
use super::errors::{is_race, is_transient, pg_error};
use super::listener::publish;
use crate::event_store::prepared::PreparedAppend;
use crate::event_store::{AppendOutcome, Position, StoreError};
use sqlx::PgPool;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, watch};

/// An append waiting for the writer.
pub(super) struct Job {
    pub append: PreparedAppend,
    pub reply: oneshot::Sender<Result<AppendOutcome, StoreError>>,
}

/// How often one append is retried after losing a race.
const RACE_RETRIES: usize = 5;

/// Runs until every sender is dropped.
pub(super) async fn run(
    pool: PgPool,
    mut jobs: mpsc::UnboundedReceiver<Job>,
    head: Arc<watch::Sender<Position>>,
    max_batch: usize,
) {
    while let Some(first) = jobs.recv().await {
        let mut batch = vec![first];
        while batch.len() < max_batch {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let appends: Vec<&PreparedAppend> = batch.iter().map(|j| &j.append).collect();
        let (results, new_head) = commit(&pool, &appends).await;
        if let Some(position) = new_head {
            publish(&head, position);
        }
        for (job, result) in batch.into_iter().zip(results) {
            // The caller may have given up waiting; its append stands either way.
            let _ = job.reply.send(result);
        }
    }
    pool.close().await;
}

type Answers = Vec<Result<AppendOutcome, StoreError>>;

async fn commit(pool: &PgPool, appends: &[&PreparedAppend]) -> (Answers, Option<Position>) {
    let mut first = transaction(pool, appends, false).await;
    if let Err(Failure::BeforeCommit(e)) = &first
        && is_transient(e)
    {
        first = transaction(pool, appends, false).await;
    }
    match first.map_err(Failure::into_inner) {
        Ok(written) => return (written.results, written.head),
        Err(e) if is_race(&e) => {}
        Err(e) => return (failed(appends.len(), &e), None),
    }
    let mut results = Vec::with_capacity(appends.len());
    let mut head = None;
    for append in appends {
        let mut tries = 0;
        let result = loop {
            tries += 1;
            match transaction(pool, &[append], true)
                .await
                .map_err(Failure::into_inner)
            {
                Ok(written) => {
                    head = head.max(written.head);
                    break written.results.into_iter().next().unwrap_or_else(|| {
                        Err(StoreError::Backend("an append got no answer".into()))
                    });
                }
                Err(e) if is_race(&e) && tries < RACE_RETRIES => continue,
                Err(e) => break Err(pg_error(e)),
            }
        };
        results.push(result);
    }
    (results, head)
}

/// Where a transaction failed: before its commit was sent (nothing was written), or at the
/// commit (the outcome is unknown).
enum Failure {
    BeforeCommit(sqlx::Error),
    Commit(sqlx::Error),
}

impl Failure {
    fn into_inner(self) -> sqlx::Error {
        match self {
            Failure::BeforeCommit(e) | Failure::Commit(e) => e,
        }
    }
}

async fn transaction(
    pool: &PgPool,
    appends: &[&PreparedAppend],
    check_ids: bool,
) -> Result<Written, Failure> {
    let mut tx = pool.begin().await.map_err(Failure::BeforeCommit)?;
    let written = batch::write(&mut tx, appends, check_ids)
        .await
        .map_err(Failure::BeforeCommit)?;
    tx.commit().await.map_err(Failure::Commit)?;
    Ok(written)
}

/// The same failure for every append of a batch.
fn failed(n: usize, error: &sqlx::Error) -> Answers {
    let message = format!("PostgreSQL: {error}");
    let transient = is_transient(error);
    (0..n)
        .map(|_| {
            Err(if transient {
                StoreError::Unavailable(message.clone())
            } else {
                StoreError::Backend(message.clone())
            })
        })
        .collect()
}
