//! The HTTP application: every router, the OpenAPI document and Swagger UI, and the layers
//! every request passes (ids and tracing, a timeout, a body limit, panics as problems).

use crate::context::trace_request;
use crate::error::{ApiError, Problem};
use crate::routes;
use crate::state::AppState;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "ecommerce",
        description = "An event-sourced shop backend. Commands answer with the global log \
                       `position` of their last event (also `X-Event-Position`); send an \
                       `Idempotency-Key` to retry safely. Errors are RFC 9457 problem details.",
        license(name = "MIT")
    ),
    modifiers(&BearerAuth),
    components(schemas(Problem)),
    tags(
        (name = "users"), (name = "auth"), (name = "products"), (name = "carts"),
        (name = "orders"), (name = "payments"), (name = "shipments"), (name = "operations")
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Every command route, with its OpenAPI description.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(routes::users::router())
        .merge(routes::auth::router())
        .merge(routes::products::router())
        .merge(routes::carts::router())
        .merge(routes::orders::router())
        .merge(routes::payments::router())
        .merge(routes::shipments::router())
        .merge(routes::health::router())
}

/// Limits applied to every request.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest body, bytes.
    pub body: usize,
    /// Longest a request may take.
    pub timeout: Duration,
}

/// The full application over `routes` (the command API, possibly merged with others).
pub fn app(routes: OpenApiRouter<AppState>, state: AppState, limits: Limits) -> Router {
    let (router, openapi) = routes.split_for_parts();
    router
        .merge(SwaggerUi::new("/api-docs").url("/api-docs/openapi.json", openapi))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(limits.body))
        .layer(middleware::from_fn_with_state(limits.timeout, timeout))
        .layer(CatchPanicLayer::custom(panicked))
        .layer(middleware::from_fn(trace_request))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such route".into())
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

async fn timeout(
    axum::extract::State(limit): axum::extract::State<Duration>,
    request: Request,
    next: Next,
) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::Unavailable("the request took too long".into()).into_response(),
    }
}

fn panicked(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::Internal("a handler panicked".into()).into_response()
}
