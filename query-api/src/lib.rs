//! The HTTP query API: every `GET` route over the read models that the projectors keep,
//! with ownership checks, cursor pagination, problem details for bad parameters, and
//! read-your-writes through `X-Min-Position`; and the audit routes, which read the event log
//! itself.
//!
//! - [`routes`]: `products`, `carts`, `orders`, `payments` (and shipments), `users`,
//!   `reports`, `admin` (projection status and rebuilds) and `audit` (over the event log),
//!   each with `router()`;
//! - [`audit`]: an order's events, its state at a past moment and its hash chains, read
//!   from the event log; shared by the audit routes and the `ecommerce audit` command;
//! - [`consistency`]: the `X-Min-Position` wait, fed by [`checkpoints`] when the projectors
//!   run elsewhere; [`caller`]: who is asking;
//! - [`params`]: query strings, pagination; [`state`]: shared state.

pub mod audit;
pub mod caller;
pub mod checkpoints;
pub mod consistency;
pub mod params;
pub mod routes;
pub mod state;

pub use state::QueryState;

use axum::Router;
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// A read model whose routes a process serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Model {
    /// `GET /api/products...`.
    Catalog,
    /// `GET /api/carts/{id}`.
    Carts,
    /// `GET /api/orders...` (with an order's shipment).
    Orders,
    /// `GET /api/payments/{id}`.
    Payments,
    /// `GET /api/shipments/{id}`.
    Shipments,
    /// `GET /api/users/me`.
    Users,
    /// `GET /api/reports/...`.
    Reporting,
    /// `GET /api/audit/...`, read from the event log.
    Audit,
}

impl Model {
    /// Every model.
    pub const ALL: [Model; 8] = [
        Model::Catalog,
        Model::Carts,
        Model::Orders,
        Model::Payments,
        Model::Shipments,
        Model::Users,
        Model::Reporting,
        Model::Audit,
    ];

    /// The model's name on the command line.
    pub const fn as_str(self) -> &'static str {
        match self {
            Model::Catalog => "catalog",
            Model::Carts => "carts",
            Model::Orders => "orders",
            Model::Payments => "payments",
            Model::Shipments => "shipments",
            Model::Users => "users",
            Model::Reporting => "reporting",
            Model::Audit => "audit",
        }
    }

    fn router(self) -> OpenApiRouter<QueryState> {
        match self {
            Model::Catalog => routes::products::router(),
            Model::Carts => routes::carts::router(),
            Model::Orders => routes::orders::router(),
            Model::Payments => routes::payments::router(),
            Model::Shipments => routes::payments::shipments_router(),
            Model::Users => routes::users::router(),
            Model::Reporting => routes::reports::router(),
            Model::Audit => routes::audit::router(),
        }
    }
}

impl std::str::FromStr for Model {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Model::ALL
            .into_iter()
            .find(|m| m.as_str() == s.trim())
            .ok_or_else(|| {
                let names: Vec<_> = Model::ALL.iter().map(|m| m.as_str()).collect();
                format!("unknown read model {s:?}; one of {}", names.join(", "))
            })
    }
}

/// The query routes of `models`, and the projection operations (`/api/admin/projections`),
/// with their OpenAPI description.
pub fn api(models: &[Model]) -> OpenApiRouter<QueryState> {
    let base =
        OpenApiRouter::with_openapi(infra::http::openapi_base()).merge(routes::admin::router());
    models
        .iter()
        .fold(base, |router, model| router.merge(model.router()))
}

/// The query routes of `models` on `state`, and their OpenAPI document.
pub fn parts(state: QueryState, models: &[Model]) -> (Router, OpenApi) {
    let (router, openapi) = api(models).split_for_parts();
    (router.with_state(state), openapi)
}
