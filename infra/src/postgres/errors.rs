//! PostgreSQL failures as [`StoreError`]s: a lost or refused connection, a timed-out pool,
//! a server shutting down or a deadlock is transient (`Unavailable`, answered 503).

use crate::event_store::StoreError;

/// SQLSTATE classes and codes a client may retry after a pause.
fn transient_code(code: &str) -> bool {
    // 08: connection exception; 53: insufficient resources; 57P01-57P05: shutdown, crash
    // recovery, idle timeouts; 40001/40P01: serialization failure, deadlock; 55P03: lock
    // not available.
    code.starts_with("08")
        || code.starts_with("53")
        || code.starts_with("57P")
        || matches!(code, "40001" | "40P01" | "55P03")
}

/// True when the failure is the server refusing a duplicate key.
pub(super) fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.is_unique_violation())
}

/// True when retrying the same work on a fresh view of the data may succeed: a duplicate key
/// written by a concurrent writer, a deadlock or a serialization failure.
pub(super) fn is_race(error: &sqlx::Error) -> bool {
    is_unique_violation(error)
        || matches!(error, sqlx::Error::Database(e)
            if matches!(e.code().as_deref(), Some("40001" | "40P01")))
}

/// True for failures of the connection or server rather than of the request.
pub(super) fn is_transient(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(e) => e.code().as_deref().is_some_and(transient_code),
        _ => false,
    }
}

/// Classifies a PostgreSQL failure.
pub(super) fn pg_error(error: sqlx::Error) -> StoreError {
    if is_transient(&error) {
        StoreError::Unavailable(format!("PostgreSQL: {error}"))
    } else {
        StoreError::Backend(format!("PostgreSQL: {error}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_failures_are_transient_and_others_are_not() {
        let refused = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert!(matches!(pg_error(refused), StoreError::Unavailable(_)));
        assert!(matches!(
            pg_error(sqlx::Error::PoolTimedOut),
            StoreError::Unavailable(_)
        ));
        assert!(matches!(
            pg_error(sqlx::Error::RowNotFound),
            StoreError::Backend(_)
        ));
        for code in ["08006", "57P01", "53300", "40P01"] {
            assert!(transient_code(code), "{code}");
        }
        for code in ["23505", "42P01", "22P02"] {
            assert!(!transient_code(code), "{code}");
        }
    }
}
