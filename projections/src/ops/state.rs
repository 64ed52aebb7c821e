//! The operational state of the projections, kept in the read store so every process sees it:
//! which version readers use and which one a rebuild is building (`projection_versions`, one
//! document per projection), and where a projection is parked (`projection_parked`, one
//! document per checkpoint key such as `catalog_v1`).

use infra::event_store::Position;
use infra::read_store::{Batch, CollectionSpec, ReadStore, ReadStoreError, Write};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

const VERSIONS: &str = "projection_versions";
const PARKED: &str = "projection_parked";
/// The pseudo-projection whose batches carry these writes (its checkpoint stays 0).
const OPS: &str = "_projection_ops";

/// Which versions of a projection exist.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionDoc {
    /// The version readers use.
    pub active: u32,
    /// The version a rebuild is building, if one is under way or was interrupted.
    pub building: Option<u32>,
}

/// An event a projection could not apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ParkedDoc {
    /// Its position in the global log.
    pub position: Position,
    /// Its type.
    pub event_type: String,
    /// The handler's error.
    pub error: String,
    /// When the projection parked, RFC 3339.
    pub at: String,
}

/// The operational state in a read store.
#[derive(Clone)]
pub struct OpsState {
    read: Arc<dyn ReadStore>,
}

impl OpsState {
    /// Creates the two collections if missing.
    pub async fn open(read: Arc<dyn ReadStore>) -> Result<Self, ReadStoreError> {
        read.ensure(&CollectionSpec::new(VERSIONS, &[])).await?;
        read.ensure(&CollectionSpec::new(PARKED, &[])).await?;
        Ok(Self { read })
    }

    /// The read store.
    pub fn read(&self) -> &Arc<dyn ReadStore> {
        &self.read
    }

    /// The version documents of every projection that has one.
    pub async fn versions(&self) -> Result<HashMap<String, VersionDoc>, ReadStoreError> {
        let names: Vec<String> = crate::models::all()
            .iter()
            .map(|p| p.name().to_owned())
            .collect();
        self.versions_of(&names).await
    }

    /// The version documents of `names`, where they exist.
    pub async fn versions_of(
        &self,
        names: &[String],
    ) -> Result<HashMap<String, VersionDoc>, ReadStoreError> {
        let found = self.read.get_many(VERSIONS, names).await?;
        found
            .into_iter()
            .map(|d| {
                let doc = serde_json::from_value(d.body)
                    .map_err(|e| ReadStoreError::Backend(format!("{VERSIONS}/{}: {e}", d.id)))?;
                Ok((d.id, doc))
            })
            .collect()
    }

    /// Records the versions of `name`.
    pub async fn set_versions(&self, name: &str, doc: VersionDoc) -> Result<(), ReadStoreError> {
        self.write(VERSIONS, name, Some(to_value(&doc)?)).await
    }

    /// Where the projection version `key` is parked, if it is.
    pub async fn parked(&self, key: &str) -> Result<Option<ParkedDoc>, ReadStoreError> {
        match self.read.get(PARKED, key).await? {
            Some(d) => serde_json::from_value(d.body)
                .map(Some)
                .map_err(|e| ReadStoreError::Backend(format!("{PARKED}/{key}: {e}"))),
            None => Ok(None),
        }
    }

    /// Records that `key` is parked.
    pub async fn park(&self, key: &str, parked: &ParkedDoc) -> Result<(), ReadStoreError> {
        self.write(PARKED, key, Some(to_value(parked)?)).await
    }

    /// Clears the parked mark of `key`: its worker tries the event again.
    pub async fn unpark(&self, key: &str) -> Result<(), ReadStoreError> {
        self.write(PARKED, key, None).await
    }

    async fn write(
        &self,
        collection: &str,
        id: &str,
        body: Option<Value>,
    ) -> Result<(), ReadStoreError> {
        // The read store keeps the write with the higher position; the clock orders these
        // rare, human-paced writes.
        let position = u64::try_from(chrono::Utc::now().timestamp_micros()).unwrap_or(0);
        let write = Write {
            collection: collection.to_owned(),
            id: id.to_owned(),
            body,
            position,
        };
        self.read
            .apply(Batch {
                projection: OPS.to_owned(),
                writes: vec![write],
                checkpoint: 0,
            })
            .await
    }
}

fn to_value(value: &impl Serialize) -> Result<Value, ReadStoreError> {
    serde_json::to_value(value).map_err(|e| ReadStoreError::Backend(e.to_string()))
}
