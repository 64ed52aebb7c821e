//! The errors of the command API: the shared [`ApiError`] and its problem details.

pub use infra::http::{ApiError, FieldError, Problem};
