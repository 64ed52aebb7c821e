//! One error type for every handler of the HTTP services, answered as RFC 9457 problem
//! details.
//!
//! Domain refusals, conflicts and store failures arrive as different types and each maps to
//! its status here, once. Internal details are logged, never sent.

use crate::StoreError;
use crate::read_store::ReadStoreError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cqrs_es::AggregateError;
use domain::values::ValueError;
use domain::{Refusal, RefusalKind};
use serde::Serialize;
use utoipa::ToSchema;

/// A problem details body (`application/problem+json`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem, such as `urn:ecommerce:problem:validation`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong with this request.
    pub detail: String,
    /// The fields that failed validation, if any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// The aggregate's current version, on a version conflict.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<u64>,
}

/// One invalid field.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FieldError {
    /// The field's path in the body, such as `price.amount`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is not well-formed (bad JSON, a bad header).
    #[error("{0}")]
    Malformed(String),
    /// Well-formed but invalid fields.
    #[error("{}", summary(.0))]
    Invalid(Vec<FieldError>),
    /// A business rule refused the command.
    #[error("{detail}")]
    Refused {
        /// How it maps.
        kind: RefusalKind,
        /// The rule's message.
        detail: String,
    },
    /// No or a bad token.
    #[error("{0}")]
    Unauthorized(String),
    /// Signed in, but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// No such resource.
    #[error("{0}")]
    NotFound(String),
    /// The route exists, the method does not.
    #[error("this route does not take this method")]
    MethodNotAllowed,
    /// A concurrent change won.
    #[error("{detail}")]
    Conflict {
        /// What conflicted.
        detail: String,
        /// The current version, when known.
        current_version: Option<u64>,
    },
    /// An `Idempotency-Key` reused with a different request.
    #[error("this Idempotency-Key was used for a different request")]
    KeyReused,
    /// The body is over the limit.
    #[error("the request body is too large")]
    TooLarge,
    /// Not JSON.
    #[error("send the body as application/json")]
    UnsupportedMediaType,
    /// A read model did not reach the position the client asked for in time.
    #[error("{0}")]
    NotYet(String),
    /// A store is unreachable or busy; retry later.
    #[error("a store is unavailable, retry later")]
    Unavailable(String),
    /// This process has more of this work than it takes at once (password hashing, waits
    /// for read models); retry in a second.
    #[error("{0}")]
    Overloaded(String),
    /// The caller sent too many requests (a rate limit or a sign-in lockout).
    #[error("{detail}")]
    TooManyRequests {
        /// Which limit.
        detail: String,
        /// Seconds until a retry may succeed.
        retry_after: u64,
    },
    /// A bug or corrupt data; logged, answered without detail.
    #[error("internal error")]
    Internal(String),
}

fn summary(errors: &[FieldError]) -> String {
    match errors {
        [] => "invalid request".to_owned(),
        [one] => format!("{}: {}", one.field, one.message),
        [first, rest @ ..] => format!(
            "{}: {} (and {} more)",
            first.field,
            first.message,
            rest.len()
        ),
    }
}

impl ApiError {
    /// A single invalid field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Invalid(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        use StatusCode as S;
        match self {
            ApiError::Malformed(_) => (S::BAD_REQUEST, "malformed", "Malformed request"),
            ApiError::Invalid(_) => (S::UNPROCESSABLE_ENTITY, "validation", "Invalid request"),
            ApiError::Refused { kind, .. } => match kind {
                RefusalKind::NotFound => (S::NOT_FOUND, "not-found", "Not found"),
                RefusalKind::AlreadyExists => (S::CONFLICT, "already-exists", "Already exists"),
                RefusalKind::Rejected => (S::UNPROCESSABLE_ENTITY, "refused", "Refused"),
            },
            ApiError::Unauthorized(_) => (S::UNAUTHORIZED, "unauthorized", "Unauthorized"),
            ApiError::Forbidden(_) => (S::FORBIDDEN, "forbidden", "Forbidden"),
            ApiError::NotFound(_) => (S::NOT_FOUND, "not-found", "Not found"),
            ApiError::MethodNotAllowed => (S::METHOD_NOT_ALLOWED, "method", "Method not allowed"),
            ApiError::Conflict { .. } => (S::CONFLICT, "conflict", "Conflict"),
            ApiError::KeyReused => (
                S::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "Idempotency-Key reused",
            ),
            ApiError::TooLarge => (S::PAYLOAD_TOO_LARGE, "too-large", "Payload too large"),
            ApiError::UnsupportedMediaType => (
                S::UNSUPPORTED_MEDIA_TYPE,
                "media-type",
                "Unsupported media type",
            ),
            ApiError::NotYet(_) => (S::GATEWAY_TIMEOUT, "not-yet", "Not caught up yet"),
            ApiError::Unavailable(_) => {
                (S::SERVICE_UNAVAILABLE, "unavailable", "Service unavailable")
            }
            ApiError::Overloaded(_) => (S::SERVICE_UNAVAILABLE, "overloaded", "Overloaded"),
            ApiError::TooManyRequests { .. } => (
                S::TOO_MANY_REQUESTS,
                "too-many-requests",
                "Too many requests",
            ),
            ApiError::Internal(_) => (S::INTERNAL_SERVER_ERROR, "internal", "Internal error"),
        }
    }

    /// The problem details this error answers with.
    pub fn problem(&self) -> Problem {
        let (status, slug, title) = self.parts();
        Problem {
            kind: format!("urn:ecommerce:problem:{slug}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: self.to_string(),
            errors: match self {
                ApiError::Invalid(errors) => errors.clone(),
                _ => Vec::new(),
            },
            current_version: match self {
                ApiError::Conflict {
                    current_version, ..
                } => *current_version,
                _ => None,
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self {
            ApiError::Internal(detail) => tracing::error!(%detail, "request failed"),
            ApiError::Unavailable(detail) => tracing::warn!(%detail, "store unavailable"),
            _ => {}
        }
        let problem = self.problem();
        let status =
            StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, axum::Json(problem)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        match self {
            ApiError::Unavailable(_) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            ApiError::Overloaded(_) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            ApiError::TooManyRequests { retry_after, .. } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after.max(1)));
            }
            ApiError::Unauthorized(_) => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            _ => {}
        }
        response
    }
}

impl From<ValueError> for ApiError {
    fn from(error: ValueError) -> Self {
        let field = match &error {
            ValueError::Empty { field }
            | ValueError::TooLong { field, .. }
            | ValueError::OutOfRange { field, .. }
            | ValueError::Invalid { field, .. } => *field,
        };
        ApiError::field(field, error.to_string())
    }
}

impl From<crate::auth::HashError> for ApiError {
    fn from(error: crate::auth::HashError) -> Self {
        match error {
            crate::auth::HashError::Busy => ApiError::Overloaded(error.to_string()),
            crate::auth::HashError::Failed(detail) => ApiError::Internal(detail),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict { current, .. } => ApiError::Conflict {
                detail: "the resource was changed concurrently".into(),
                current_version: Some(current),
            },
            StoreError::CommandReused { .. } => ApiError::KeyReused,
            StoreError::Unavailable(detail) => ApiError::Unavailable(detail),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<ReadStoreError> for ApiError {
    fn from(error: ReadStoreError) -> Self {
        match error {
            ReadStoreError::Invalid(detail) => ApiError::Malformed(detail),
            ReadStoreError::Unavailable(detail) => ApiError::Unavailable(detail),
            ReadStoreError::Backend(detail) => ApiError::Internal(detail),
        }
    }
}

impl<E: Refusal> From<AggregateError<E>> for ApiError {
    fn from(error: AggregateError<E>) -> Self {
        match error {
            AggregateError::UserError(refusal) => ApiError::Refused {
                kind: refusal.kind(),
                detail: refusal.to_string(),
            },
            AggregateError::AggregateConflict => ApiError::Conflict {
                detail: "the resource was changed concurrently".into(),
                current_version: None,
            },
            AggregateError::DatabaseConnectionError(e) => ApiError::Unavailable(e.to_string()),
            other => ApiError::Internal(other.to_string()),
        }
    }
}
