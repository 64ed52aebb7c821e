//! What every handler shares: the event store, one command runner per aggregate, the token
//! issuer, and the guards of the public routes.

use crate::checkout::provider::{PaymentProvider, TestProvider};
use crate::executor::Executor;
use crate::guard::Guard;
use domain::cart::Cart;
use domain::claim::Claim;
use domain::order::Order;
use domain::payment::Payment;
use domain::product::Product;
use domain::shipment::Shipment;
use domain::user::User;
use infra::auth::Tokens;
use infra::event_store::{EventStore, Subscription};
use std::ops::Deref;
use std::sync::Arc;

/// The shared state; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

/// The parts of [`AppState`].
pub struct Inner {
    /// The event store.
    pub store: Arc<dyn EventStore>,
    /// Access tokens.
    pub tokens: Tokens,
    /// Products.
    pub products: Executor<Product>,
    /// Users (also the source of truth for who is active, with which roles).
    pub users: Executor<User>,
    /// Carts.
    pub carts: Executor<Cart>,
    /// Orders.
    pub orders: Executor<Order>,
    /// Payments.
    pub payments: Executor<Payment>,
    /// Shipments.
    pub shipments: Executor<Shipment>,
    /// Unique emails and SKUs.
    pub claims: Executor<Claim>,
    /// The payment provider (refunds go through it; so does the checkout process).
    pub provider: Arc<dyn PaymentProvider>,
    /// Password hashing, sign-in limits, request fingerprints.
    pub guard: Guard,
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// State over a store, with the built-in test payment provider.
    pub fn new(store: Arc<dyn EventStore>, tokens: Tokens) -> Self {
        Self::with_provider(store, tokens, Arc::new(TestProvider::default()))
    }

    /// State over a store and a payment provider, with the default guards.
    pub fn with_provider(
        store: Arc<dyn EventStore>,
        tokens: Tokens,
        provider: Arc<dyn PaymentProvider>,
    ) -> Self {
        Self::with_guard(store, tokens, provider, Guard::default())
    }

    /// State over a store, a payment provider and the guards.
    pub fn with_guard(
        store: Arc<dyn EventStore>,
        tokens: Tokens,
        provider: Arc<dyn PaymentProvider>,
        guard: Guard,
    ) -> Self {
        Self(Arc::new(Inner {
            guard,
            provider,
            products: Executor::new(store.clone()),
            users: Executor::new(store.clone()),
            carts: Executor::new(store.clone()),
            orders: Executor::new(store.clone()),
            payments: Executor::new(store.clone()),
            shipments: Executor::new(store.clone()),
            claims: Executor::new(store.clone()),
            tokens,
            store,
        }))
    }

    /// Keeps the cached aggregates honest when other processes change them (another command
    /// replica, the checkout worker, the catalog's command process): every event appended
    /// from now on drops a cached state older than it. A process's own appends leave its
    /// cache as it is. Runs until the task is aborted.
    pub async fn follow_changes(self) {
        let head = match self.store.head().await {
            Ok(head) => head,
            Err(e) => {
                tracing::error!(error = %e, "cannot follow changes made elsewhere");
                return;
            }
        };
        let mut log = Subscription::new(self.store.clone(), head);
        loop {
            match log.next_window().await {
                Ok(window) => {
                    for event in window.events {
                        self.observe(&event.stream, event.version);
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "reading the log for changes made elsewhere failed");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                }
            }
        }
    }

    fn observe(&self, stream: &str, version: infra::event_store::Version) {
        let Some((kind, id)) = stream.split_once('-') else {
            return;
        };
        match kind {
            "user" => self.users.observe(id, version),
            "product" => self.products.observe(id, version),
            "cart" => self.carts.observe(id, version),
            "order" => self.orders.observe(id, version),
            "payment" => self.payments.observe(id, version),
            "shipment" => self.shipments.observe(id, version),
            "claim" => self.claims.observe(id, version),
            _ => {}
        }
    }
}
