//! The command API: the routers of the chosen domains merged, with their OpenAPI description.

use crate::routes;
use crate::state::AppState;
use axum::Router;
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// A domain whose commands a process serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Domain {
    /// `/api/products` commands.
    Products,
    /// Registration, sign-in, profiles and roles (`/api/users`, `/api/auth`).
    Users,
    /// `/api/carts` commands, checkout included.
    Carts,
    /// `/api/orders` commands.
    Orders,
    /// `/api/payments` commands (refunds).
    Payments,
    /// `/api/shipments` commands.
    Shipments,
}

impl Domain {
    /// Every domain.
    pub const ALL: [Domain; 6] = [
        Domain::Products,
        Domain::Users,
        Domain::Carts,
        Domain::Orders,
        Domain::Payments,
        Domain::Shipments,
    ];

    /// The domain's name on the command line.
    pub const fn as_str(self) -> &'static str {
        match self {
            Domain::Products => "products",
            Domain::Users => "users",
            Domain::Carts => "carts",
            Domain::Orders => "orders",
            Domain::Payments => "payments",
            Domain::Shipments => "shipments",
        }
    }

    fn router(self) -> OpenApiRouter<AppState> {
        match self {
            Domain::Products => routes::products::router(),
            Domain::Users => routes::users::router().merge(routes::auth::router()),
            Domain::Carts => routes::carts::router(),
            Domain::Orders => routes::orders::router(),
            Domain::Payments => routes::payments::router(),
            Domain::Shipments => routes::shipments::router(),
        }
    }
}

impl std::str::FromStr for Domain {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Domain::ALL
            .into_iter()
            .find(|d| d.as_str() == s.trim())
            .ok_or_else(|| {
                let names: Vec<_> = Domain::ALL.iter().map(|d| d.as_str()).collect();
                format!("unknown domain {s:?}; one of {}", names.join(", "))
            })
    }
}

/// The command routes of `domains`, with their OpenAPI description.
pub fn api(domains: &[Domain]) -> OpenApiRouter<AppState> {
    domains.iter().fold(
        OpenApiRouter::with_openapi(infra::http::openapi_base()),
        |router, domain| router.merge(domain.router()),
    )
}

/// The command routes of `domains` on `state`, and their OpenAPI document.
pub fn parts(state: AppState, domains: &[Domain]) -> (Router, OpenApi) {
    let (router, openapi) = api(domains).split_for_parts();
    (router.with_state(state), openapi)
}
