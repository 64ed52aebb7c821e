//! The one error for a value that failed to parse.

use thiserror::Error;

/// Why a value was refused when parsed from input.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ValueError {
    /// Empty, or only whitespace.
    #[error("{field} must not be empty")]
    Empty {
        /// The value's name.
        field: &'static str,
    },
    /// Longer than allowed.
    #[error("{field} must be at most {max} characters")]
    TooLong {
        /// The value's name.
        field: &'static str,
        /// The most characters allowed.
        max: usize,
    },
    /// Out of the allowed numeric range.
    #[error("{field} must be between {min} and {max}")]
    OutOfRange {
        /// The value's name.
        field: &'static str,
        /// Smallest allowed.
        min: i64,
        /// Largest allowed.
        max: i64,
    },
    /// Malformed for another reason.
    #[error("{field} is invalid: {reason}")]
    Invalid {
        /// The value's name.
        field: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
}
