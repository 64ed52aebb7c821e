//! Why an audit could not answer, typed so that each maps to its status: the HTTP routes
//! answer problem details, the command line prints the message.

use infra::StoreError;
use infra::http::ApiError;

/// Everything an audit function can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// No such order (or an id that cannot be one).
    #[error("no such order")]
    NotFound,
    /// A parameter that does not parse, or two that exclude each other (400).
    #[error("{0}")]
    Malformed(String),
    /// A well-formed parameter outside the order's history (422).
    #[error("{field}: {message}")]
    Invalid {
        /// The parameter.
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// The event store failed or holds unreadable data.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<AuditError> for ApiError {
    fn from(error: AuditError) -> Self {
        match error {
            AuditError::NotFound => ApiError::NotFound("no such order".into()),
            AuditError::Malformed(detail) => ApiError::Malformed(detail),
            AuditError::Invalid { field, message } => ApiError::field(field, message),
            AuditError::Store(error) => error.into(),
        }
    }
}
