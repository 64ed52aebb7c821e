//! An HTTP service ready to run: its routes finished with the health routes (readiness over
//! the stores it uses), the OpenAPI document and Swagger UI, `/metrics` and the shared
//! layers, bound to its address, with the background tasks to stop when it stops.

use super::app::{Limits, finish};
use super::health::{self, Check};
use super::serve::{ServeLimits, serve};
use crate::config::Settings;
use axum::Router;
use std::future::Future;
use std::net::SocketAddr;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use utoipa::openapi::OpenApi;

/// A bound service, not yet serving.
pub struct Service {
    listener: TcpListener,
    router: Router,
    limits: ServeLimits,
    background: Vec<JoinHandle<()>>,
}

impl Service {
    /// Finishes `router` (documented by `openapi`) with the health routes over `checks` and
    /// the shared layers, and binds the settings' address.
    pub async fn bind(
        settings: &Settings,
        router: Router,
        mut openapi: OpenApi,
        checks: Vec<Check>,
        background: Vec<JoinHandle<()>>,
    ) -> Result<Service, String> {
        let (health, health_doc) = health::router(checks);
        openapi.merge(health_doc);
        let limits = Limits {
            body: settings.body_limit,
            timeout: settings.request_timeout,
        };
        let router = finish(router.merge(health), openapi, limits);
        let listener = TcpListener::bind(settings.addr)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", settings.addr))?;
        Ok(Service {
            listener,
            router,
            limits: ServeLimits {
                max_connections: settings.load.max_connections,
                header_read_timeout: settings.load.header_read_timeout,
                drain: settings.request_timeout,
            },
            background,
        })
    }

    /// The bound address (with the real port when 0 was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Serves until `shutdown` completes, lets requests in flight finish, then stops the
    /// background tasks.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let served = serve(self.listener, self.router, self.limits, shutdown).await;
        for task in self.background {
            task.abort();
        }
        served
    }
}
