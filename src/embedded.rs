//! Everything in one process: the command API, the checkout process, the projectors, and the
//! query API on the same port, over one event store and one read store, with the projection
//! gauges of `/metrics`. The command side measures the event store's appends
//! (`App::build_with` wraps it in `MeteredEventStore`): every append goes through it, so the
//! store is not wrapped again here.

use crate::parts::{self, Bookkeeping};
use command_services::App;
use command_services::app::Domain;
use command_services::checkout::provider::{PaymentProvider, TestProvider};
use command_services::server::{Extra, keys};
use infra::config::Settings;
use infra::event_store::EventStore;
use infra::http::health::Check;
use infra::read_store::ReadStore;
use projections::models;
use projections::runtime::Positions;
use query_api::Model;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The running parts of the embedded shop.
pub struct Embedded {
    app: App,
    workers: Vec<JoinHandle<()>>,
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
        let (stop, stopped) = watch::channel(false);
        let (books, follower) = Bookkeeping::open(read.clone(), stopped.clone()).await?;
        let mut workers = vec![follower];
        workers.extend(
            parts::projectors(settings, &events, &read, &books, models::all(), &stopped).await?,
        );
        let keys = keys(settings)?;
        let (queries, checkpoints) = parts::queries(
            settings,
            events.clone(),
            read.clone(),
            &books,
            keys.tokens.clone(),
        );
        let (router, openapi) = query_api::parts(queries, &Model::ALL);
        let extra = Extra {
            router,
            openapi,
            checks: vec![Check::read_store(read.clone())],
            background: vec![checkpoints],
        };
        let app = App::build_with(
            settings,
            events,
            keys,
            provider.clone(),
            &Domain::ALL,
            vec![extra],
        )
        .await?;
        let commands = app.state().clone();
        workers.push(parts::checkout(settings, commands, read, provider, &stopped).await?);
        Ok(Embedded {
            app,
            workers,
            stop,
            positions: books.positions,
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

    /// Serves until `shutdown`, then stops the workers (releasing their leases).
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let served = self.app.run(shutdown).await;
        let _ = self.stop.send(true);
        for worker in self.workers {
            let _ = tokio::time::timeout(Duration::from_secs(5), worker).await;
        }
        served
    }
}
