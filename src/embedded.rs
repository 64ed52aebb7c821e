//! Everything in one process: the command API, the checkout process, the projectors, and the
//! query API on the same port, over one event store and one read store, with the projection
//! gauges of `/metrics` refreshed by [`crate::metrics_task`]. The command side measures the
//! event store's appends (`App::build_with` wraps it in `MeteredEventStore`): every append
//! goes through it, so the store is not wrapped again here.

use crate::metrics_task;
use command_services::App;
use command_services::checkout::provider::{PaymentProvider, TestProvider};
use command_services::checkout::{Checkout, Options as CheckoutOptions};
use command_services::server::{Extra, keys};
use infra::config::Settings;
use infra::event_store::EventStore;
use infra::read_store::ReadStore;
use projections::models;
use projections::ops::state::OpsState;
use projections::ops::{follow_versions, load_versions};
use projections::runtime::{Options, Positions, Projector, Versions};
use query_api::QueryState;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The running parts of the embedded shop.
pub struct Embedded {
    app: App,
    projectors: Vec<JoinHandle<()>>,
    stop: watch::Sender<bool>,
    positions: Positions,
}

impl Embedded {
    /// Builds the services on the given stores with the built-in test payment provider, and
    /// starts the projectors and the checkout process.
    pub async fn build(
        settings: &Settings,
        events: Arc<dyn EventStore>,
        read: Arc<dyn ReadStore>,
    ) -> Result<Embedded, String> {
        Self::build_with(settings, events, read, Arc::new(TestProvider::default())).await
    }

    /// Like [`Embedded::build`], with another payment provider.
    pub async fn build_with(
        settings: &Settings,
        events: Arc<dyn EventStore>,
        read: Arc<dyn ReadStore>,
        provider: Arc<dyn PaymentProvider>,
    ) -> Result<Embedded, String> {
        let positions = Positions::default();
        let versions = Versions::default();
        let (stop, stopped) = watch::channel(false);
        // The instance name (see `crate::instance`): stable across restarts, so a restarted
        // process takes its own leases back at once. Without one (tests), a fresh owner.
        let owner = settings
            .instance
            .clone()
            .unwrap_or_else(|| format!("serve-{}", uuid::Uuid::now_v7()));
        let lease = Options {
            lease_ttl: settings.lease_ttl,
            ..Options::default()
        };
        let ops = OpsState::open(read.clone())
            .await
            .map_err(|e| e.to_string())?;
        load_versions(&ops, &versions)
            .await
            .map_err(|e| e.to_string())?;
        // Readers and workers switch to a version another process's rebuild finished.
        let mut projectors = vec![tokio::spawn(follow_versions(
            ops.clone(),
            versions.clone(),
            Duration::from_secs(1),
            stopped.clone(),
        ))];
        for projection in models::all() {
            let projector = Projector::new(
                projection,
                events.clone(),
                read.clone(),
                positions.clone(),
                owner.clone(),
                lease,
            )
            .live(versions.clone(), ops.clone());
            let active = versions.version(projector.projection().as_ref());
            (projector.clone().at_version(active))
                .prepare()
                .await
                .map_err(|e| e.to_string())?;
            projectors.push(tokio::spawn(projector.run(stopped.clone())));
        }
        projectors.push(metrics_task::spawn(
            metrics_task::Sources {
                events: events.clone(),
                ops: ops.clone(),
                projections: models::all(),
            },
            stopped.clone(),
        ));
        let read_for_checkout = read.clone();
        let keys = keys(settings)?;
        let queries = QueryState {
            read,
            versions: versions.clone(),
            events: events.clone(),
            ops: ops.clone(),
            positions: positions.clone(),
            tokens: keys.tokens.clone(),
            max_wait: settings.min_position_wait,
            waits: Arc::new(tokio::sync::Semaphore::new(
                settings.load.max_position_waits,
            )),
        };
        let (router, openapi) = query_api::parts(queries);
        let extra = Extra {
            router,
            openapi,
            background: Vec::new(),
        };
        let app = App::build_with(settings, events, keys, provider.clone(), vec![extra]).await?;
        let options = CheckoutOptions {
            retries: settings.payment_retries,
            backoff: settings.payment_retry_backoff,
            payment_timeout: settings.payment_timeout,
            lease_ttl: settings.lease_ttl,
            ..CheckoutOptions::default()
        };
        let commands = app.state().clone();
        let checkout = Checkout::new(commands, read_for_checkout, provider, options, owner);
        checkout.prepare().await.map_err(|e| e.to_string())?;
        projectors.push(tokio::spawn(checkout.run(stopped.clone())));
        Ok(Embedded {
            app,
            projectors,
            stop,
            positions,
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.app.addr()
    }

    /// Where the projections of this process stand.
    pub fn positions(&self) -> &Positions {
        &self.positions
    }

    /// The command side's state.
    pub fn commands(&self) -> &command_services::AppState {
        self.app.state()
    }

    /// Serves until `shutdown`, then stops the projectors (releasing their leases).
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let served = self.app.run(shutdown).await;
        let _ = self.stop.send(true);
        for projector in self.projectors {
            let _ = tokio::time::timeout(Duration::from_secs(5), projector).await;
        }
        served
    }
}
