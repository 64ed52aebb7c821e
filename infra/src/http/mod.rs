//! What the HTTP services share: problem details and the error type, path extraction,
//! request ids and tracing, request metrics and `GET /metrics`, bearer tokens, the
//! finishing layers (OpenAPI and Swagger UI, fallbacks, limits, security headers), the
//! health routes, and the accept loop with its connection bounds.

mod app;
pub mod bearer;
mod headers;
pub mod health;
mod metrics;
mod path;
mod problem;
mod serve;
mod service;
mod trace;

pub use app::{Limits, finish, openapi_base};
pub use metrics::{record_request, scrape};
pub use path::ApiPath;
pub use problem::{ApiError, FieldError, Problem};
pub use serve::{ServeLimits, serve};
pub use service::Service;
pub use trace::{CORRELATION_ID, REQUEST_ID, RequestIds, trace_request};
