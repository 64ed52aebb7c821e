//! The command API: every router merged, with its OpenAPI description.

use crate::routes;
use crate::state::AppState;
use axum::Router;
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// Every command route, with its OpenAPI description.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(infra::http::openapi_base())
        .merge(routes::users::router())
        .merge(routes::auth::router())
        .merge(routes::products::router())
        .merge(routes::carts::router())
        .merge(routes::orders::router())
        .merge(routes::payments::router())
        .merge(routes::shipments::router())
        .merge(routes::health::router())
}

/// The command routes on `state`, and their OpenAPI document.
pub fn parts(state: AppState) -> (Router, OpenApi) {
    let (router, openapi) = api().split_for_parts();
    (router.with_state(state), openapi)
}
