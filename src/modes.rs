//! The ways to run the shop: every service in one process (the embedded default), or one
//! service alone (a split mode), so that each scales on its own behind a reverse proxy:
//!
//! - `commands`: the command routes of some domains, on the event store;
//! - `query`: the GET routes of some read models and the projection operations, on the read
//!   store (and the event store, for audits and the head of the log); it runs no projector
//!   and follows the checkpoints of projectors elsewhere;
//! - `projector`: projector workers, holding a lease per projection;
//! - `checkout`: the checkout worker, holding its lease.
//!
//! Every mode serves `/health/live`, `/health/ready` (the stores it uses), `/metrics` and its
//! own OpenAPI document with Swagger UI at `/api-docs`, on its own address. The processes of
//! a shop share only the stores and the signing secret, so the split modes refuse to start
//! without `ECOMMERCE_JWT_SECRET`. Several replicas of each mode may run: projectors and
//! checkout workers take over each other's leases, and the HTTP modes are stateless.

use crate::embedded::Embedded;
use crate::parts::{self, Bookkeeping};
use crate::{instance, stores};
use anyhow::{Result, anyhow, bail};
use axum::Router;
use command_services::AppState;
use command_services::app::Domain;
use command_services::checkout::provider::{PaymentProvider, TestProvider};
use command_services::guard::Guard;
use command_services::server::{App, keys};
use infra::config::Settings;
use infra::http::Service;
use infra::http::health::Check;
use infra::metrics::MeteredEventStore;
use projections::runtime::Projection;
use query_api::Model;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// What a process runs.
#[derive(Clone)]
pub enum Mode {
    /// Everything (`ecommerce serve`).
    All,
    /// The command routes of these domains.
    Commands(Vec<Domain>),
    /// The query routes of these read models.
    Query(Vec<Model>),
    /// Workers for these projections.
    Projector(Vec<Arc<dyn Projection>>),
    /// The checkout worker.
    Checkout,
}

impl Mode {
    /// The mode's name (in instance names and logs).
    pub fn name(&self) -> &'static str {
        match self {
            Mode::All => "serve",
            Mode::Commands(_) => "commands",
            Mode::Query(_) => "query",
            Mode::Projector(_) => "projector",
            Mode::Checkout => "checkout",
        }
    }
}

/// A running process: its HTTP address, and a way to wait for its end.
pub struct Running {
    addr: SocketAddr,
    run: std::pin::Pin<Box<dyn Future<Output = std::io::Result<()>> + Send>>,
}

impl Running {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until the shutdown given to [`start`] completes.
    pub async fn run(self) -> std::io::Result<()> {
        self.run.await
    }
}

/// Starts `mode` on the configured stores with the built-in test payment provider; serves
/// until `shutdown` completes.
pub async fn start(
    settings: &Settings,
    mode: Mode,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<Running> {
    if !matches!(mode, Mode::All) && settings.jwt_secret.is_none() {
        bail!(
            "`serve {}` needs ECOMMERCE_JWT_SECRET: every process of a split shop signs and \
             checks tokens with the same secret, and one generated into a data folder cannot \
             be shared",
            mode.name()
        );
    }
    let provider: Arc<dyn PaymentProvider> = Arc::new(TestProvider::default());
    let events = stores::events(settings, true).await?;
    match mode {
        Mode::All => {
            let read = stores::read(settings).await?;
            let shop = Embedded::build_with(settings, events, read, provider)
                .await
                .map_err(|e| anyhow!(e))?;
            let addr = shop.addr();
            Ok(Running {
                addr,
                run: Box::pin(shop.run(shutdown)),
            })
        }
        Mode::Commands(domains) => {
            let keys = keys(settings).map_err(|e| anyhow!(e))?;
            let app = App::build_with(settings, events, keys, provider, &domains, Vec::new())
                .await
                .map_err(|e| anyhow!(e))?;
            let addr = app.addr();
            Ok(Running {
                addr,
                run: Box::pin(app.run(shutdown)),
            })
        }
        Mode::Query(models) => {
            let read = stores::read(settings).await?;
            let (stop, stopped) = watch::channel(false);
            let (books, follower) = Bookkeeping::open(read.clone(), stopped)
                .await
                .map_err(|e| anyhow!(e))?;
            let tokens = keys(settings).map_err(|e| anyhow!(e))?.tokens;
            let (queries, checkpoints) =
                parts::queries(settings, events.clone(), read.clone(), &books, tokens);
            let (router, openapi) = query_api::parts(queries, &models);
            let checks = vec![Check::event_store(events), Check::read_store(read)];
            let service = Service::bind(
                settings,
                router,
                openapi,
                checks,
                vec![follower, checkpoints],
            )
            .await
            .map_err(|e| anyhow!(e))?;
            Ok(serving(service, stop, Vec::new(), shutdown))
        }
        Mode::Projector(projections) => {
            let read = stores::read(settings).await?;
            let (stop, stopped) = watch::channel(false);
            let (books, follower) = Bookkeeping::open(read.clone(), stopped.clone())
                .await
                .map_err(|e| anyhow!(e))?;
            let mut workers = vec![follower];
            workers.extend(
                parts::projectors(settings, &events, &read, &books, projections, &stopped)
                    .await
                    .map_err(|e| anyhow!(e))?,
            );
            let checks = vec![Check::event_store(events), Check::read_store(read)];
            let service = workers_only(settings, checks, Vec::new()).await?;
            Ok(serving(service, stop, workers, shutdown))
        }
        Mode::Checkout => {
            let read = stores::read(settings).await?;
            let (stop, stopped) = watch::channel(false);
            let tokens = keys(settings).map_err(|e| anyhow!(e))?.tokens;
            let metered = MeteredEventStore::wrap(events.clone());
            let state = AppState::with_guard(metered, tokens, provider.clone(), Guard::default());
            let follower = tokio::spawn(state.clone().follow_changes());
            let worker = parts::checkout(settings, state, read.clone(), provider, &stopped)
                .await
                .map_err(|e| anyhow!(e))?;
            let checks = vec![Check::event_store(events), Check::read_store(read)];
            let service = workers_only(settings, checks, vec![follower]).await?;
            Ok(serving(service, stop, vec![worker], shutdown))
        }
    }
}

/// The HTTP side of a worker process: health, metrics and the document of those; the
/// `background` tasks stop with it.
async fn workers_only(
    settings: &Settings,
    checks: Vec<Check>,
    background: Vec<JoinHandle<()>>,
) -> Result<Service> {
    Service::bind(
        settings,
        Router::new(),
        infra::http::openapi_base(),
        checks,
        background,
    )
    .await
    .map_err(|e| anyhow!(e))
}

/// Serves, then stops the workers (releasing their leases) once the service has stopped.
fn serving(
    service: Service,
    stop: watch::Sender<bool>,
    workers: Vec<JoinHandle<()>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Running {
    let addr = service.addr();
    let run = async move {
        let served = service.run(shutdown).await;
        let _ = stop.send(true);
        for worker in workers {
            let _ = tokio::time::timeout(Duration::from_secs(5), worker).await;
        }
        served
    };
    Running {
        addr,
        run: Box::pin(run),
    }
}

/// Claims this process's instance name for `mode` and records it in the settings.
pub fn claim_instance(settings: &mut Settings, mode: &Mode) -> Result<instance::Instance> {
    let claimed = instance::claim(settings, mode.name())?;
    settings.instance = Some(claimed.name.clone());
    Ok(claimed)
}
