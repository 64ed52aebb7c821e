//! The projector: applies the global log to one version of one projection. It reads from the
//! checkpoint in batches, applies each event to the documents, and writes the changes with the
//! new checkpoint. An event the projection cannot apply stops it (poison), unless an operator
//! skipped that event (see [`crate::ops::skip`]). The long-running loop around it (lease,
//! wake-ups, parking, version switches) is in [`super::worker`].

use super::docs::{ApplyError, Docs, Key};
use super::positions::Positions;
use super::projection::{Projection, collection_name, specs_at};
use super::versions::Versions;
use crate::ops::state::OpsState;
use infra::event_store::{EventStore, Position, RecordedEvent, StoreError, Subscription};
use infra::read_store::{Batch, ReadStore, ReadStoreError, Write};
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

/// Why a projector stopped or paused.
#[derive(Debug, thiserror::Error)]
pub enum ProjectorError {
    /// Reading the log failed.
    #[error(transparent)]
    Events(#[from] StoreError),
    /// The read store failed.
    #[error(transparent)]
    Read(#[from] ReadStoreError),
    /// An event the projection cannot apply; the projector parks there.
    #[error("cannot apply {event_type} at position {position}: {message}")]
    Poison {
        /// Where.
        position: Position,
        /// Its type.
        event_type: String,
        /// Why.
        message: String,
    },
}

/// While the log is busy, a projector reads it at most this often, so each read and each
/// read-store transaction covers what many commits brought (see [`Subscription::pace`]).
pub const PACE: Duration = Duration::from_millis(10);

/// Knobs of a projector.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Events read per batch.
    pub batch_size: usize,
    /// How long a lease lasts without renewal.
    pub lease_ttl: Duration,
    /// The slow poll behind the store's wake-ups.
    pub poll: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            batch_size: 1000,
            lease_ttl: Duration::from_secs(10),
            poll: Duration::from_secs(1),
        }
    }
}

/// One projection's worker.
#[derive(Clone)]
pub struct Projector {
    pub(super) projection: Arc<dyn Projection>,
    pub(super) events: Arc<dyn EventStore>,
    pub(super) read: Arc<dyn ReadStore>,
    pub(super) positions: Positions,
    pub(super) owner: String,
    pub(super) options: Options,
    /// The version this projector writes.
    pub(super) version: u32,
    /// When set, [`Projector::run`] follows the active version and parks durably.
    pub(super) live: Option<(Versions, OpsState)>,
}

impl Projector {
    /// A worker for `projection`; `owner` names it in leases (unique per worker).
    pub fn new(
        projection: Arc<dyn Projection>,
        events: Arc<dyn EventStore>,
        read: Arc<dyn ReadStore>,
        positions: Positions,
        owner: impl Into<String>,
        options: Options,
    ) -> Self {
        let version = projection.version();
        Self {
            projection,
            events,
            read,
            positions,
            owner: owner.into(),
            options,
            version,
            live: None,
        }
    }

    /// This projector writing `version` (a rebuild's new version) instead of the code's.
    pub fn at_version(mut self, version: u32) -> Self {
        self.version = version;
        self
    }

    /// This projector, when run, following the version readers use (switched by rebuilds)
    /// and recording a parked event in the read store for operators.
    pub fn live(mut self, versions: Versions, ops: OpsState) -> Self {
        self.live = Some((versions, ops));
        self
    }

    /// The projection.
    pub fn projection(&self) -> &Arc<dyn Projection> {
        &self.projection
    }

    /// The version it writes.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The checkpoint and lease key, such as `catalog_v1`.
    pub fn key(&self) -> String {
        format!("{}_v{}", self.projection.name(), self.version)
    }

    /// Creates the collections and indexes.
    pub async fn prepare(&self) -> Result<(), ProjectorError> {
        for spec in specs_at(self.projection.as_ref(), self.version) {
            self.read.ensure(&spec).await?;
        }
        Ok(())
    }

    /// Applies everything up to the current head, without a lease (tests, tools).
    pub async fn catch_up(&self) -> Result<Position, ProjectorError> {
        self.prepare().await?;
        let mut log = self.subscription(self.read.checkpoint(&self.key()).await?);
        while let Some(window) = log.try_next_window().await? {
            self.process(&window.events, window.up_to).await?;
        }
        Ok(log.position())
    }

    /// The log from `after`, only the event types of the projection.
    pub fn subscription(&self, after: Position) -> Subscription {
        Subscription::new(self.events.clone(), after)
            .batch_size(self.options.batch_size)
            .poll_interval(self.options.poll)
            .pace(PACE)
            .only(self.projection.event_types())
    }

    /// Applies a window of the log (its events of the projection's types, up to `last`) and
    /// writes the changes with the new checkpoint.
    pub async fn process(
        &self,
        events: &[RecordedEvent],
        last: Position,
    ) -> Result<(), ProjectorError> {
        let projection = self.projection.as_ref();
        let types = projection.event_types();
        let relevant: Vec<&RecordedEvent> = events
            .iter()
            .filter(|e| types.contains(&e.event_type.as_str()))
            .collect();
        let mut docs = Docs::default();
        let keys: Vec<Key> = relevant.iter().flat_map(|e| projection.keys(e)).collect();
        self.load(&mut docs, keys).await?;
        for event in relevant {
            // Each retry loads at least one more document, so this ends.
            loop {
                docs.begin(event.position);
                let failure = match projection.apply(event, &mut docs) {
                    Ok(()) => {
                        docs.commit();
                        break;
                    }
                    Err(ApplyError::Missing(keys)) => {
                        docs.rollback();
                        if docs.unknown(keys.clone()).is_empty() {
                            "asked again for loaded documents".to_owned()
                        } else {
                            self.load(&mut docs, keys).await?;
                            continue;
                        }
                    }
                    Err(ApplyError::Broken(message)) => {
                        docs.rollback();
                        message
                    }
                };
                // Rare: only a failing event pays for reading the skips.
                let skips = crate::ops::skip::skipped(self.events.as_ref(), projection.name());
                if skips.await?.contains(&event.position) {
                    tracing::warn!(projection = %self.key(), position = event.position,
                        error = %failure, "skipping an event an operator skipped");
                    break;
                }
                // Keep what came before it, so the model is as current as it can be and
                // the checkpoint stops right before the poison event.
                self.write(&docs, event.position - 1).await?;
                return Err(poison(event, &failure));
            }
        }
        self.write(&docs, last).await
    }

    /// Writes the changed documents with the checkpoint `last`.
    async fn write(&self, docs: &Docs, last: Position) -> Result<(), ProjectorError> {
        let version = self.version;
        let writes = docs
            .changes()
            .map(|((collection, id), body, position)| Write {
                collection: collection_name(collection, version),
                id: id.clone(),
                body: body.cloned(),
                position,
            })
            .collect();
        self.read
            .apply(Batch {
                projection: self.key(),
                writes,
                checkpoint: last,
            })
            .await?;
        self.positions.publish(&self.key(), last);
        Ok(())
    }

    async fn load(&self, docs: &mut Docs, keys: Vec<Key>) -> Result<(), ProjectorError> {
        let mut by_collection: BTreeMap<&'static str, HashSet<String>> = BTreeMap::new();
        for (collection, id) in docs.unknown(keys) {
            by_collection.entry(collection).or_default().insert(id);
        }
        let version = self.version;
        for (collection, ids) in by_collection {
            let ids: Vec<String> = ids.into_iter().collect();
            let found = self
                .read
                .get_many(&collection_name(collection, version), &ids)
                .await?;
            for doc in found {
                docs.load((collection, doc.id), Some(doc.body), doc.position);
            }
            for id in ids {
                docs.load((collection, id), None, 0);
            }
        }
        Ok(())
    }
}

fn poison(event: &RecordedEvent, message: &str) -> ProjectorError {
    ProjectorError::Poison {
        position: event.position,
        event_type: event.event_type.clone(),
        message: message.to_owned(),
    }
}
