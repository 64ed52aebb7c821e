//! The finishing layers every HTTP service shares: the OpenAPI base (title, bearer auth),
//! Swagger UI at `/api-docs` with the document at `/api-docs/openapi.json` (assets served
//! from the binary), `GET /metrics`, problem details for unknown routes and methods, a body
//! limit, a request timeout, panics as problems, request metrics, request ids with tracing,
//! and the security headers.

use super::headers::security_headers;
use super::metrics::{MetricsDoc, record_request, scrape};
use super::{ApiError, Problem, trace_request};
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use utoipa::openapi::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi as _};
use utoipa_swagger_ui::SwaggerUi;

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "ecommerce",
        description = "An event-sourced shop backend. Commands answer with the global log \
                       `position` of their last event (also `X-Event-Position`); send an \
                       `Idempotency-Key` to retry safely. Queries take `X-Min-Position` (or \
                       `?min_position=`) to read their own writes. Errors are RFC 9457 problem \
                       details.",
        license(name = "MIT")
    ),
    modifiers(&BearerAuth),
    components(schemas(Problem))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut OpenApi) {
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

/// The document every service's routes are added to.
pub fn openapi_base() -> OpenApi {
    ApiDoc::openapi()
}

/// Limits applied to every request.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest body, bytes.
    pub body: usize,
    /// Longest a request may take.
    pub timeout: Duration,
}

/// Adds the documents, `/metrics`, fallbacks and layers to a service's routes.
pub fn finish(router: Router, mut openapi: OpenApi, limits: Limits) -> Router {
    openapi.merge(MetricsDoc::openapi());
    router
        .route("/metrics", get(scrape))
        .merge(SwaggerUi::new("/api-docs").url("/api-docs/openapi.json", openapi))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(limits.body))
        .layer(middleware::from_fn_with_state(limits.timeout, timeout))
        .layer(CatchPanicLayer::custom(panicked))
        .layer(middleware::from_fn(record_request))
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn(trace_request))
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such route".into())
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

async fn timeout(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::Unavailable("the request took too long".into()).into_response(),
    }
}

fn panicked(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::Internal("a handler panicked".into()).into_response()
}
