//! The projector: one worker per projection. It holds the projection's lease, reads the
//! global log from the checkpoint in batches, applies each event to the documents, writes the
//! changes and the checkpoint, and once caught up sleeps until the log moves.

use super::docs::{ApplyError, Docs, Key};
use super::positions::Positions;
use super::projection::{Projection, collection_name, key, specs};
use infra::event_store::{EventStore, Position, RecordedEvent, StoreError, Subscription};
use infra::read_store::{Batch, ReadStore, ReadStoreError, Write};
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

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
            lease_ttl: Duration::from_secs(15),
            poll: Duration::from_secs(1),
        }
    }
}

/// One projection's worker.
#[derive(Clone)]
pub struct Projector {
    projection: Arc<dyn Projection>,
    events: Arc<dyn EventStore>,
    read: Arc<dyn ReadStore>,
    positions: Positions,
    owner: String,
    options: Options,
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
        Self {
            projection,
            events,
            read,
            positions,
            owner: owner.into(),
            options,
        }
    }

    /// The checkpoint and lease key.
    pub fn key(&self) -> String {
        key(self.projection.as_ref())
    }

    /// Creates the collections and indexes.
    pub async fn prepare(&self) -> Result<(), ProjectorError> {
        for spec in specs(self.projection.as_ref()) {
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
    fn subscription(&self, after: Position) -> Subscription {
        Subscription::new(self.events.clone(), after)
            .batch_size(self.options.batch_size)
            .poll_interval(self.options.poll)
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
                match projection.apply(event, &mut docs) {
                    Ok(()) => {
                        docs.commit();
                        break;
                    }
                    Err(ApplyError::Missing(keys)) => {
                        docs.rollback();
                        if docs.unknown(keys.clone()).is_empty() {
                            return Err(poison(event, "asked again for loaded documents"));
                        }
                        self.load(&mut docs, keys).await?;
                    }
                    Err(ApplyError::Broken(message)) => return Err(poison(event, &message)),
                }
            }
        }
        let version = projection.version();
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
        let version = self.projection.version();
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

    /// Runs until `stop` turns true: waits for the lease, then follows the log. Another
    /// worker holding the lease keeps this one on standby.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let key = self.key();
        let renew_every = self.options.lease_ttl / 3;
        loop {
            let done = *stop.borrow();
            if done {
                break;
            }
            match self
                .read
                .acquire_lease(&key, &self.owner, self.options.lease_ttl)
                .await
            {
                Ok(true) => match self.follow(&mut stop, renew_every).await {
                    Ok(()) => {}
                    Err(ProjectorError::Poison {
                        position,
                        event_type,
                        message,
                    }) => {
                        tracing::error!(projection = %key, position, %event_type, %message, "parked");
                        self.positions.park(&key, position, message);
                        stopped(&mut stop).await;
                    }
                    Err(e) => {
                        tracing::warn!(projection = %key, error = %e, "projector failed; retrying")
                    }
                },
                Ok(false) => {}
                Err(e) => tracing::warn!(projection = %key, error = %e, "cannot take the lease"),
            }
            let _ = tokio::time::timeout(renew_every, stopped(&mut stop)).await;
        }
        let _ = self.read.release_lease(&key, &self.owner).await;
    }

    /// Follows the log while the lease holds; `Ok` when stopped or when the lease is lost.
    async fn follow(
        &self,
        stop: &mut watch::Receiver<bool>,
        renew_every: Duration,
    ) -> Result<(), ProjectorError> {
        self.prepare().await?;
        let key = self.key();
        let checkpoint = self.read.checkpoint(&key).await?;
        self.positions.publish(&key, checkpoint);
        let mut log = self.subscription(checkpoint);
        let mut renew = tokio::time::interval(renew_every);
        renew.tick().await;
        loop {
            tokio::select! {
                window = log.next_window() => {
                    let window = window?;
                    self.process(&window.events, window.up_to).await?;
                }
                _ = renew.tick() => {
                    if !self.read.acquire_lease(&key, &self.owner, self.options.lease_ttl).await? {
                        tracing::warn!(projection = %key, "lost the lease");
                        return Ok(());
                    }
                }
                () = stopped(stop) => return Ok(()),
            }
        }
    }
}

/// Completes once `stop` turns true (or its sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

fn poison(event: &RecordedEvent, message: &str) -> ProjectorError {
    ProjectorError::Poison {
        position: event.position,
        event_type: event.event_type.clone(),
        message: message.to_owned(),
    }
}
