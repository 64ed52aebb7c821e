//! The checkout process manager: a worker on the global log, like a projector, with its own
//! checkpoint and lease, that sends commands instead of writing documents. It takes a
//! checked-out cart through order, stock, payment and shipping, and compensates a
//! cancellation. Every command it sends has an id derived from the event that caused it, so a
//! replay after a crash appends nothing twice, and every provider call carries an idempotency
//! key, so nothing is charged twice.
//!
//! - [`flow`]: the forward path, one handler per event; [`payment`]: its payment step;
//! - [`compensate`]: what a cancellation undoes;
//! - [`expiry`]: cancelling orders that wait for payment too long;
//! - [`provider`]: the payment provider trait and the built-in test provider;
//! - [`partition`]: many orders at once, each order's events in log order;
//! - [`steps`]: derived ids and command sending; [`clock`]: injectable time.

pub mod clock;
pub mod compensate;
pub mod expiry;
pub mod flow;
pub mod partition;
pub mod payment;
pub mod provider;
pub mod steps;

use crate::state::AppState;
use clock::{Clock, TokioClock};
use domain::cart::CartEvent;
use flow::{Flow, Waiting};
use infra::event_store::stored::format_time;
use infra::event_store::{Position, RecordedEvent, Subscription, Window};
use infra::read_store::{Batch, CollectionSpec, ReadStore, Write, lease};
use provider::PaymentProvider;
use std::sync::Arc;
use std::time::Duration;
use steps::FlowError;
use tokio::sync::watch;

/// The checkpoint and lease key.
pub const KEY: &str = "checkout_v1";
/// The orders waiting for payment, with the time they started waiting.
pub const WAITING: &str = "checkout_waiting_v1";

const EVENTS: &[&str] = &[
    "CartCheckedOut",
    "OrderPlaced",
    "OrderStockReserved",
    "OrderCancelled",
    "OrderRejected",
    "OrderPaymentDeclined",
    "ShipmentDispatched",
    "ShipmentDelivered",
];

/// The log positions one window covers. The events the process handles are a small share
/// of them (about 3 of the 12 or so an order writes), so a window this wide holds enough
/// orders to keep [`partition::CONCURRENCY`] of them busy; 256 held about 20.
const WINDOW: usize = 4096;

/// Knobs of the checkout process.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Provider attempts after the first, on transient failures.
    pub retries: u32,
    /// The first pause between attempts (doubling each time).
    pub backoff: Duration,
    /// The longest pause between attempts.
    pub max_backoff: Duration,
    /// How long an order may wait for payment before it is cancelled.
    pub payment_timeout: Duration,
    /// How long the lease lasts without renewal.
    pub lease_ttl: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            retries: 3,
            backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            payment_timeout: Duration::from_secs(15 * 60),
            lease_ttl: Duration::from_secs(10),
        }
    }
}

/// The checkout process manager.
pub struct Checkout {
    flow: Flow,
    read: Arc<dyn ReadStore>,
    owner: String,
    clock: Arc<dyn Clock>,
}

impl Checkout {
    /// A process manager over the command side's state; `owner` names it in leases.
    pub fn new(
        state: AppState,
        read: Arc<dyn ReadStore>,
        provider: Arc<dyn PaymentProvider>,
        options: Options,
        owner: impl Into<String>,
    ) -> Self {
        Self {
            flow: Flow {
                state,
                provider,
                options,
            },
            read,
            owner: owner.into(),
            clock: Arc::new(TokioClock::default()),
        }
    }

    /// Uses another clock for the payment expiry.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Creates the waiting-orders collection.
    pub async fn prepare(&self) -> Result<(), FlowError> {
        let spec = CollectionSpec::new(WAITING, &["since"]);
        self.read
            .ensure(&spec)
            .await
            .map_err(|e| FlowError::Retry(e.to_string()))
    }

    fn log(&self, after: Position) -> Subscription {
        Subscription::new(self.flow.state.store.clone(), after)
            .batch_size(WINDOW)
            .only(EVENTS.to_vec())
    }

    /// Handles everything up to the current head, without a lease (tests, tools).
    pub async fn catch_up(&self) -> Result<Position, FlowError> {
        self.prepare().await?;
        let checkpoint = self
            .read
            .checkpoint(KEY)
            .await
            .map_err(|e| FlowError::Retry(e.to_string()))?;
        let mut log = self.log(checkpoint);
        while let Some(window) = log
            .try_next_window()
            .await
            .map_err(|e| FlowError::Retry(e.to_string()))?
        {
            self.process(&window).await?;
        }
        Ok(log.position())
    }

    async fn handle(&self, event: &RecordedEvent) -> Result<Waiting, FlowError> {
        let order = || {
            event
                .stream
                .strip_prefix("order-")
                .and_then(|id| id.parse().ok())
        };
        let shipment = || event.stream.strip_prefix("shipment-").unwrap_or_default();
        match (event.event_type.as_str(), order()) {
            ("CartCheckedOut", _) => {
                let checkout: CartEvent =
                    infra::event_store::codec::decode(&event.event_type, event.payload.clone())
                        .map_err(|e| {
                            FlowError::Retry(format!("cannot decode {}: {e}", event.position))
                        })?;
                self.flow.cart_checked_out(event, checkout).await
            }
            ("OrderPlaced", Some(id)) => self.flow.order_placed(event, id).await,
            ("OrderStockReserved", Some(id)) => self.flow.stock_reserved(event, id).await,
            ("OrderCancelled", Some(id)) => self.flow.cancelled(event, id).await,
            ("OrderRejected" | "OrderPaymentDeclined", Some(id)) => {
                self.flow.rejected(event, id).await
            }
            ("ShipmentDispatched", _) => self.flow.dispatched(event, shipment()).await,
            ("ShipmentDelivered", _) => self.flow.delivered(event, shipment()).await,
            _ => Ok(Waiting::Same),
        }
    }

    /// Handles a window's events (each order's in log order, many orders at once), then
    /// records the waiting orders and the checkpoint together. On a failure nothing is
    /// recorded: the window is handled again, and what was done repeats harmlessly.
    async fn process(&self, window: &Window) -> Result<(), FlowError> {
        let handled = partition::handle_all(&window.events, |event| self.handle(event)).await?;
        let mut writes = Vec::new();
        for (event, waiting) in window.events.iter().zip(handled) {
            let (id, body) = match waiting {
                Waiting::Same => continue,
                Waiting::Started(id) => {
                    let since = format_time(event.recorded_at);
                    (
                        id,
                        Some(serde_json::json!({ "id": id.to_string(), "since": since })),
                    )
                }
                Waiting::Ended(id) => (id, None),
            };
            writes.push(Write {
                collection: WAITING.to_owned(),
                id: id.to_string(),
                body,
                position: event.position,
            });
        }
        let batch = Batch {
            projection: KEY.to_owned(),
            writes,
            checkpoint: window.up_to,
        };
        self.read
            .apply(batch)
            .await
            .map_err(|e| FlowError::Retry(e.to_string()))
    }

    /// Runs until `stop` turns true: waits for the lease, then follows the log and expires
    /// orders waiting too long. Another worker holding the lease keeps this one on standby.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let checkout = Arc::new(self);
        let renew_every = checkout.flow.options.lease_ttl / 3;
        loop {
            if *stop.borrow() {
                break;
            }
            let ttl = checkout.flow.options.lease_ttl;
            match checkout.read.acquire_lease(KEY, &checkout.owner, ttl).await {
                Ok(true) => {
                    let expiry = tokio::spawn(checkout.clone().expire_forever());
                    if let Err(e) = checkout.follow(&mut stop, renew_every).await {
                        tracing::warn!(error = %e, "checkout process failed; retrying");
                    }
                    expiry.abort();
                }
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "cannot take the checkout lease"),
            }
            // A standby looks again soon, so it takes a dead worker's lease right after it expires.
            let retry = renew_every.min(std::time::Duration::from_millis(500));
            let _ = tokio::time::timeout(retry, stopped(&mut stop)).await;
        }
        let _ = checkout.read.release_lease(KEY, &checkout.owner).await;
    }

    async fn follow(
        &self,
        stop: &mut watch::Receiver<bool>,
        renew_every: Duration,
    ) -> Result<(), FlowError> {
        self.prepare().await?;
        let checkpoint = self
            .read
            .checkpoint(KEY)
            .await
            .map_err(|e| FlowError::Retry(e.to_string()))?;
        let mut log = self.log(checkpoint);
        let mut renew = tokio::time::interval(renew_every);
        renew.tick().await;
        loop {
            tokio::select! {
                window = log.next_window() => {
                    let window = window.map_err(|e| FlowError::Retry(e.to_string()))?;
                    // On failure start again from the checkpoint: handled events repeat
                    // harmlessly. The lease is renewed while the window is handled too (a
                    // provider's backoff may outlast it); once lost, the work stops.
                    let work = self.process(&window);
                    if lease::while_held(work, &mut renew, || self.renew()).await?.is_none() {
                        return Ok(());
                    }
                }
                _ = renew.tick() => {
                    if !self.renew().await? {
                        return Ok(());
                    }
                }
                () = stopped(stop) => return Ok(()),
            }
        }
    }
}

impl Checkout {
    /// Renews the lease; false when another worker holds it now, or when the store took
    /// longer than a third of the lease to answer.
    async fn renew(&self) -> Result<bool, FlowError> {
        let ttl = self.flow.options.lease_ttl;
        lease::renew(self.read.as_ref(), KEY, &self.owner, ttl)
            .await
            .map_err(|e| FlowError::Retry(e.to_string()))
    }
}

async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}
