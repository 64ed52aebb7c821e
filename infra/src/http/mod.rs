//! What the HTTP services share: problem details and the error type, path extraction,
//! request ids and tracing, request metrics and `GET /metrics`, bearer tokens, and the
//! finishing layers (OpenAPI and Swagger UI, fallbacks, limits).

mod app;
pub mod bearer;
mod metrics;
mod path;
mod problem;
mod trace;

pub use app::{Limits, finish, openapi_base};
pub use metrics::{record_request, scrape};
pub use path::ApiPath;
pub use problem::{ApiError, FieldError, Problem};
pub use trace::{CORRELATION_ID, REQUEST_ID, RequestIds, trace_request};
