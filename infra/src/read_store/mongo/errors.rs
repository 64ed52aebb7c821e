//! Driver errors as read store errors: an unreachable, timed-out or failing-over server is
//! `Unavailable` (503, worth a retry), anything else is `Backend`. Also recognises the
//! duplicate-key error that a guarded upsert raises when its document is already ahead.

use crate::read_store::ReadStoreError;
use mongodb::error::{Error, ErrorKind, WriteFailure};

/// Server codes that mean "not now": timeouts, shutdown, failover (not primary, recovering).
const UNAVAILABLE_CODES: [i32; 11] = [
    50, 89, 91, 189, 262, 10107, 10058, 11600, 11602, 13435, 13436,
];

/// MongoDB's duplicate key error code (E11000).
const DUPLICATE_KEY: i32 = 11000;

/// The server code of a command or write error, if the server sent one.
fn server_code(e: &Error) -> Option<i32> {
    match e.kind.as_ref() {
        ErrorKind::Command(c) => Some(c.code),
        ErrorKind::Write(WriteFailure::WriteError(w)) => Some(w.code),
        ErrorKind::Write(WriteFailure::WriteConcernError(w)) => Some(w.code),
        _ => None,
    }
}

/// A driver error as a read store error.
pub fn from_driver(e: Error) -> ReadStoreError {
    let unavailable = matches!(
        e.kind.as_ref(),
        ErrorKind::Io(_)
            | ErrorKind::ServerSelection { .. }
            | ErrorKind::ConnectionPoolCleared { .. }
            | ErrorKind::DnsResolve { .. }
            | ErrorKind::Shutdown
    ) || server_code(&e).is_some_and(|c| UNAVAILABLE_CODES.contains(&c));
    if unavailable {
        ReadStoreError::Unavailable(e.to_string())
    } else {
        ReadStoreError::Backend(e.to_string())
    }
}

/// True for E11000: the unique `_id` index refused an upsert's insert.
pub fn is_duplicate_key(e: &Error) -> bool {
    server_code(e) == Some(DUPLICATE_KEY)
}
