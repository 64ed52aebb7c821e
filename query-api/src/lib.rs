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
//! - [`consistency`]: the `X-Min-Position` wait; [`caller`]: who is asking;
//! - [`params`]: query strings, pagination; [`state`]: shared state.

pub mod audit;
pub mod caller;
pub mod consistency;
pub mod params;
pub mod routes;
pub mod state;

pub use state::QueryState;

use axum::Router;
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// Every query route, with its OpenAPI description.
pub fn api() -> OpenApiRouter<QueryState> {
    OpenApiRouter::new()
        .merge(routes::products::router())
        .merge(routes::carts::router())
        .merge(routes::orders::router())
        .merge(routes::payments::router())
        .merge(routes::users::router())
        .merge(routes::reports::router())
        .merge(routes::admin::router())
        .merge(routes::audit::router())
}

/// The query routes on `state`, and their OpenAPI document.
pub fn parts(state: QueryState) -> (Router, OpenApi) {
    let (router, openapi) = api().split_for_parts();
    (router.with_state(state), openapi)
}
