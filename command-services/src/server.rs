//! Building and running the service: `App::build` binds the listener (port 0 in tests) and
//! prepares everything; `App::run` serves until the shutdown signal, then lets requests in
//! flight finish.

use crate::admin::{AdminOutcome, create_admin};
use crate::app::{Domain, parts};
use crate::checkout::provider::{PaymentProvider, TestProvider};
use crate::guard::Guard;
use crate::state::AppState;
use axum::Router;
use infra::auth::{Fingerprints, Tokens, jwt_secret};
use infra::config::Settings;
use infra::event_store::EventStore;
use infra::http::Service;
use infra::http::health::Check;
use infra::metrics::MeteredEventStore;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::task::JoinHandle;
use utoipa::openapi::OpenApi;

/// Routes served beside the command API (the query side, in the embedded default), with
/// their OpenAPI document, the stores they need ready, and the background tasks they need.
pub struct Extra {
    /// The routes, with their state.
    pub router: Router,
    /// Their OpenAPI document, merged into the served one.
    pub openapi: OpenApi,
    /// Readiness checks of the stores they use, beside the event store's.
    pub checks: Vec<Check>,
    /// Tasks to stop when the server stops.
    pub background: Vec<JoinHandle<()>>,
}

/// A built, bound, not yet serving application.
pub struct App {
    service: Service,
    state: AppState,
}

/// The keys of a process, all from the one signing secret: the token issuer and the request
/// fingerprint key.
#[derive(Clone)]
pub struct Keys {
    /// Issues and checks access tokens.
    pub tokens: Tokens,
    /// Fingerprints requests for the idempotency records.
    pub fingerprints: Fingerprints,
}

impl App {
    /// Prepares the service on `store`: the signing secret, the first admin (if configured),
    /// the user-change follower, the routes of every domain, and the listener.
    pub async fn build(settings: &Settings, store: Arc<dyn EventStore>) -> Result<App, String> {
        Self::build_with(
            settings,
            store,
            keys(settings)?,
            Arc::new(TestProvider::default()),
            &Domain::ALL,
            Vec::new(),
        )
        .await
    }

    /// Like [`App::build`], with the keys (see [`keys`]; one per process, so the secret is
    /// read once), a payment provider, the domains whose routes to serve, and `extras`
    /// served on the same port. The store is wrapped in a [`MeteredEventStore`], so every
    /// append of the commands and of the checkout process shows in `/metrics`; pass it
    /// unwrapped.
    pub async fn build_with(
        settings: &Settings,
        store: Arc<dyn EventStore>,
        keys: Keys,
        provider: Arc<dyn PaymentProvider>,
        domains: &[Domain],
        extras: Vec<Extra>,
    ) -> Result<App, String> {
        let store = MeteredEventStore::wrap(store);
        let guard = Guard::from_settings(settings, keys.fingerprints);
        let state = AppState::with_guard(store.clone(), keys.tokens, provider, guard);
        if let Some((email, password)) = &settings.bootstrap_admin {
            bootstrap_admin(&state, email, password.expose()).await?;
        }
        let (mut router, mut openapi) = parts(state.clone(), domains);
        let mut checks = vec![Check::event_store(store)];
        let mut background = vec![tokio::spawn(state.clone().follow_changes())];
        for extra in extras {
            router = router.merge(extra.router);
            openapi.merge(extra.openapi);
            checks.extend(extra.checks);
            background.extend(extra.background);
        }
        let service = Service::bind(settings, router, openapi, checks, background).await?;
        Ok(App { service, state })
    }

    /// The bound address (with the real port when 0 was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.service.addr()
    }

    /// The shared state.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then waits for requests in flight.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        self.service.run(shutdown).await
    }
}

/// The keys the settings describe (from the secret configured or kept in the data folder).
pub fn keys(settings: &Settings) -> Result<Keys, String> {
    let secret = jwt_secret(settings.jwt_secret.clone(), &settings.data_dir)?;
    Ok(Keys {
        tokens: Tokens::new(&secret, settings.token_ttl)?,
        fingerprints: Fingerprints::derive(&secret),
    })
}

/// Creates the configured admin if no account has the email. An existing account is left as
/// it is, whatever its roles: start-up never grants a role (an admin may have demoted it
/// since, or someone else may have registered the email first).
async fn bootstrap_admin(state: &AppState, email: &str, password: &str) -> Result<(), String> {
    match create_admin(state, email, password).await {
        Ok(AdminOutcome::Created(id)) => tracing::info!(%id, "created the first admin"),
        Ok(AdminOutcome::AlreadyAdmin(_)) => {}
        Ok(AdminOutcome::Exists(id)) => tracing::warn!(
            %id,
            "ECOMMERCE_ADMIN_EMAIL names an existing account that is not an admin with \
             ECOMMERCE_ADMIN_PASSWORD; it was left unchanged (promote an account you trust \
             with `ecommerce users grant-role`)"
        ),
        Err(e) => return Err(format!("cannot create the admin {email}: {e}")),
    }
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
