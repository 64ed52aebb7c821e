//! [`ReadBreaker`]: a server-backed read store (MongoDB) that, once it has found the server
//! down, answers `Unavailable` at once instead of letting every query wait out server
//! selection, and probes the server in the background until it answers ([`Outage`]). The
//! embedded SQLite file is not wrapped.

use super::{Batch, CollectionSpec, Document, Page, Query, ReadStore, ReadStoreError};
use crate::event_store::Position;
use crate::outage::Outage;
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;

/// A read store that fails fast while its server is known to be down.
#[derive(Clone)]
pub struct ReadBreaker {
    inner: Arc<dyn ReadStore>,
    outage: Arc<Outage>,
}

impl ReadBreaker {
    /// `inner`, failing fast while down (probed with a ping), as a store handle.
    pub fn wrap(inner: Arc<dyn ReadStore>) -> Arc<dyn ReadStore> {
        let probed = inner.clone();
        let outage = Outage::new(
            "read store",
            Arc::new(move || {
                let store = probed.clone();
                Box::pin(async move { store.ping().await.is_ok() })
            }),
        );
        Arc::new(Self { inner, outage })
    }

    fn check(&self) -> Result<(), ReadStoreError> {
        self.outage
            .down()
            .map_or(Ok(()), |why| Err(ReadStoreError::Unavailable(why)))
    }

    fn note<T>(&self, result: Result<T, ReadStoreError>) -> Result<T, ReadStoreError> {
        if let Err(ReadStoreError::Unavailable(reason)) = &result {
            self.outage.trip(reason);
        }
        result
    }
}

#[async_trait]
impl ReadStore for ReadBreaker {
    async fn ensure(&self, spec: &CollectionSpec) -> Result<(), ReadStoreError> {
        self.check()?;
        self.note(self.inner.ensure(spec).await)
    }

    async fn drop_collection(&self, name: &str) -> Result<(), ReadStoreError> {
        self.check()?;
        self.note(self.inner.drop_collection(name).await)
    }

    async fn get(&self, collection: &str, id: &str) -> Result<Option<Document>, ReadStoreError> {
        self.check()?;
        self.note(self.inner.get(collection, id).await)
    }

    async fn get_many(
        &self,
        collection: &str,
        ids: &[String],
    ) -> Result<Vec<Document>, ReadStoreError> {
        self.check()?;
        self.note(self.inner.get_many(collection, ids).await)
    }

    async fn query(&self, query: &Query) -> Result<Page, ReadStoreError> {
        self.check()?;
        self.note(self.inner.query(query).await)
    }

    async fn apply(&self, batch: Batch) -> Result<(), ReadStoreError> {
        self.check()?;
        self.note(self.inner.apply(batch).await)
    }

    async fn checkpoint(&self, projection: &str) -> Result<Position, ReadStoreError> {
        self.check()?;
        self.note(self.inner.checkpoint(projection).await)
    }

    async fn acquire_lease(
        &self,
        projection: &str,
        owner: &str,
        ttl: Duration,
    ) -> Result<bool, ReadStoreError> {
        self.check()?;
        self.note(self.inner.acquire_lease(projection, owner, ttl).await)
    }

    async fn release_lease(&self, projection: &str, owner: &str) -> Result<(), ReadStoreError> {
        self.check()?;
        self.note(self.inner.release_lease(projection, owner).await)
    }

    async fn lease_holder(&self, projection: &str) -> Result<Option<String>, ReadStoreError> {
        self.check()?;
        self.note(self.inner.lease_holder(projection).await)
    }

    async fn ping(&self) -> Result<(), ReadStoreError> {
        self.check()?;
        self.note(self.inner.ping().await)
    }
}
