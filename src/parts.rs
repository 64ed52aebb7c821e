//! The pieces every way of running the shop is built from: the projector workers (with the
//! version follower and the projection gauges), the checkout worker, and the query side's
//! state. The all-in-one process ([`crate::embedded`]) and each split mode
//! ([`crate::modes`]) compose them.

use crate::metrics_task;
use command_services::AppState;
use command_services::checkout::provider::PaymentProvider;
use command_services::checkout::{Checkout, Options as CheckoutOptions};
use infra::auth::Tokens;
use infra::config::Settings;
use infra::event_store::EventStore;
use infra::read_store::ReadStore;
use projections::ops::state::OpsState;
use projections::ops::{follow_versions, load_versions};
use projections::runtime::{Options, Positions, Projection, Projector, Versions, specs_at};
use query_api::QueryState;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;

/// The projections' shared bookkeeping in one process: the versions readers and workers use
/// (following rebuilds finished anywhere) and the positions its projectors publish.
#[derive(Clone)]
pub struct Bookkeeping {
    /// The projections' operational state in the read store.
    pub ops: OpsState,
    /// The active version of each projection.
    pub versions: Versions,
    /// Positions published by this process's projectors (and its checkpoint follower).
    pub positions: Positions,
}

impl Bookkeeping {
    /// Loads the active versions, declares their collections to the read store (a process
    /// that reads models it does not project must too), and starts following switches made
    /// by other processes.
    pub async fn open(
        read: Arc<dyn ReadStore>,
        stop: watch::Receiver<bool>,
    ) -> Result<(Self, JoinHandle<()>), String> {
        let ops = OpsState::open(read.clone())
            .await
            .map_err(|e| e.to_string())?;
        let versions = Versions::default();
        load_versions(&ops, &versions)
            .await
            .map_err(|e| e.to_string())?;
        declare(read.as_ref(), &versions).await?;
        let mut switched = versions.watch();
        let follower = tokio::spawn({
            let (ops, versions) = (ops.clone(), versions.clone());
            async move {
                let follow = follow_versions(ops, versions.clone(), Duration::from_secs(1), stop);
                let declare = async {
                    while switched.changed().await.is_ok() {
                        if let Err(e) = declare(read.as_ref(), &versions).await {
                            tracing::warn!(error = %e, "cannot declare a new version's collections");
                        }
                    }
                };
                tokio::select! {
                    () = follow => {},
                    () = declare => {},
                }
            }
        });
        let books = Self {
            ops,
            versions,
            positions: Positions::default(),
        };
        Ok((books, follower))
    }
}

/// Declares the collections of every projection's active version (idempotent).
async fn declare(read: &dyn ReadStore, versions: &Versions) -> Result<(), String> {
    for projection in projections::models::all() {
        let version = versions.version(projection.as_ref());
        for spec in specs_at(projection.as_ref(), version) {
            read.ensure(&spec).await.map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// The lease owner of this process: its instance name (see [`crate::instance`]), or a fresh
/// one when none is set (tests, embedders).
pub fn owner(settings: &Settings) -> String {
    settings
        .instance
        .clone()
        .unwrap_or_else(|| format!("serve-{}", uuid::Uuid::now_v7()))
}

/// Starts a live projector for each of `projections` (each prepared first), and the task
/// that keeps their `/metrics` gauges.
pub async fn projectors(
    settings: &Settings,
    events: &Arc<dyn EventStore>,
    read: &Arc<dyn ReadStore>,
    books: &Bookkeeping,
    projections: Vec<Arc<dyn Projection>>,
    stop: &watch::Receiver<bool>,
) -> Result<Vec<JoinHandle<()>>, String> {
    let options = Options {
        lease_ttl: settings.lease_ttl,
        ..Options::default()
    };
    let owner = owner(settings);
    let mut tasks = Vec::new();
    for projection in &projections {
        let projector = Projector::new(
            projection.clone(),
            events.clone(),
            read.clone(),
            books.positions.clone(),
            owner.clone(),
            options,
        )
        .live(books.versions.clone(), books.ops.clone());
        let active = books.versions.version(projector.projection().as_ref());
        (projector.clone().at_version(active))
            .prepare()
            .await
            .map_err(|e| e.to_string())?;
        tasks.push(tokio::spawn(projector.run(stop.clone())));
    }
    tasks.push(metrics_task::spawn(
        metrics_task::Sources {
            events: events.clone(),
            ops: books.ops.clone(),
            projections,
        },
        stop.clone(),
    ));
    Ok(tasks)
}

/// Starts the checkout worker over the command side's state.
pub async fn checkout(
    settings: &Settings,
    commands: AppState,
    read: Arc<dyn ReadStore>,
    provider: Arc<dyn PaymentProvider>,
    stop: &watch::Receiver<bool>,
) -> Result<JoinHandle<()>, String> {
    let options = CheckoutOptions {
        retries: settings.payment_retries,
        backoff: settings.payment_retry_backoff,
        payment_timeout: settings.payment_timeout,
        lease_ttl: settings.lease_ttl,
        ..CheckoutOptions::default()
    };
    let checkout = Checkout::new(commands, read, provider, options, owner(settings));
    checkout.prepare().await.map_err(|e| e.to_string())?;
    Ok(tokio::spawn(checkout.run(stop.clone())))
}

/// The query side's state, and its checkpoint follower (for projectors in other processes).
pub fn queries(
    settings: &Settings,
    events: Arc<dyn EventStore>,
    read: Arc<dyn ReadStore>,
    books: &Bookkeeping,
    tokens: Tokens,
) -> (QueryState, JoinHandle<()>) {
    let state = QueryState {
        read: read.clone(),
        versions: books.versions.clone(),
        events,
        ops: books.ops.clone(),
        positions: books.positions.clone(),
        tokens,
        max_wait: settings.min_position_wait,
        waits: Arc::new(Semaphore::new(settings.load.max_position_waits)),
        checkpoints: Default::default(),
    };
    let follower = tokio::spawn(
        state
            .checkpoints
            .clone()
            .follow(read, books.positions.clone()),
    );
    (state, follower)
}
