//! The KurrentDB event store (work in progress).

use crate::event_store::StoreError;
use domain::schema::Upcasters;

/// The KurrentDB event store.
pub struct KurrentDbEventStore;

impl KurrentDbEventStore {
    /// Connects.
    pub async fn connect(_url: &str, _upcasters: Upcasters) -> Result<Self, StoreError> {
        Err(StoreError::Invalid("not yet".into()))
    }
}
