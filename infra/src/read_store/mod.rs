//! The read store port: documents by collection and id, with a small query model (equality,
//! range and array-contains filters on declared indexed fields, sort, keyset cursors), plus
//! per-projection checkpoints and leases. Adapters: [`sqlite`] (embedded default) and
//! [`mongo`] (the official driver); both pass `infra/tests/read_store_conformance`.
//!
//! Writes carry the position of the event that caused them and are ignored by a document
//! already at or past it, so a projector that replays a batch after a crash changes nothing.

mod breaker;
mod cursor;
pub mod lease;
pub mod mongo;
pub mod sqlite;
mod types;

pub use breaker::ReadBreaker;
pub use cursor::{Cursor, field};
pub use types::*;

use crate::event_store::Position;
use async_trait::async_trait;
use std::time::Duration;

/// Why the read store refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadStoreError {
    /// A query the store cannot run: an undeclared field, a bad cursor (answer 400).
    #[error("invalid query: {0}")]
    Invalid(String),
    /// The store is unreachable or busy (answer 503).
    #[error("read store unavailable: {0}")]
    Unavailable(String),
    /// Anything else.
    #[error("read store failure: {0}")]
    Backend(String),
}

/// A read store backend.
#[async_trait]
pub trait ReadStore: Send + Sync + 'static {
    /// Creates the collection and its indexes if missing, and remembers its spec.
    async fn ensure(&self, spec: &CollectionSpec) -> Result<(), ReadStoreError>;

    /// Removes a collection and its documents.
    async fn drop_collection(&self, name: &str) -> Result<(), ReadStoreError>;

    /// One document.
    async fn get(&self, collection: &str, id: &str) -> Result<Option<Document>, ReadStoreError>;

    /// Several documents; missing ones are left out.
    async fn get_many(
        &self,
        collection: &str,
        ids: &[String],
    ) -> Result<Vec<Document>, ReadStoreError>;

    /// One page of a query.
    async fn query(&self, query: &Query) -> Result<Page, ReadStoreError>;

    /// Writes a batch: every write whose document is not already at or past its position,
    /// then the checkpoint (which never moves back). Atomic where the backend allows.
    async fn apply(&self, batch: Batch) -> Result<(), ReadStoreError>;

    /// The position a projection has applied up to (0: nothing yet).
    async fn checkpoint(&self, projection: &str) -> Result<Position, ReadStoreError>;

    /// Takes or renews the lease of a projection for `owner`; false when another owner holds
    /// an unexpired lease.
    async fn acquire_lease(
        &self,
        projection: &str,
        owner: &str,
        ttl: Duration,
    ) -> Result<bool, ReadStoreError>;

    /// Gives a lease up, if `owner` holds it.
    async fn release_lease(&self, projection: &str, owner: &str) -> Result<(), ReadStoreError>;

    /// The owner of the projection's unexpired lease, if any (for status pages).
    async fn lease_holder(&self, projection: &str) -> Result<Option<String>, ReadStoreError>;

    /// Answers when the store is reachable.
    async fn ping(&self) -> Result<(), ReadStoreError>;
}

/// Checks a name or dotted field path: lower-case letters, digits and `_` per segment.
pub fn valid_path(path: &str) -> bool {
    !path.is_empty()
        && path.split('.').all(|segment| {
            !segment.is_empty()
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        })
}

/// Checks a query against its collection's spec: every filter and sort field is declared,
/// values are scalars, the limit is at least 1.
pub fn validate(query: &Query, spec: &CollectionSpec) -> Result<(), ReadStoreError> {
    let declared = |field: &str| field == "id" || spec.indexed.iter().any(|f| f == field);
    for filter in &query.filters {
        if !declared(&filter.field) {
            return Err(ReadStoreError::Invalid(format!(
                "{} is not an indexed field of {}",
                filter.field, spec.name
            )));
        }
        if !(filter.value.is_string() || filter.value.is_number() || filter.value.is_boolean()) {
            return Err(ReadStoreError::Invalid(format!(
                "{} must be compared with a string, number or boolean",
                filter.field
            )));
        }
    }
    for sort in &query.sort {
        if !declared(&sort.field) || sort.field == "id" {
            return Err(ReadStoreError::Invalid(format!(
                "{} is not a sortable field of {}",
                sort.field, spec.name
            )));
        }
    }
    if query.limit == 0 {
        return Err(ReadStoreError::Invalid("limit must be at least 1".into()));
    }
    Ok(())
}

/// A lease deadline `ttl` from now, in milliseconds since the epoch.
pub fn lease_deadline(ttl: Duration) -> i64 {
    chrono::Utc::now().timestamp_millis() + i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 2)
}
