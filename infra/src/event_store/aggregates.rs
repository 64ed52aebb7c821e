//! cqrs-es on our event store: [`AggregateStore`] implements `cqrs_es::EventStore`, so a
//! `CqrsFramework` loads and commits aggregates through any backend of the port.
//!
//! A stream per aggregate instance, named `{Aggregate::TYPE}-{id}`. Envelope metadata carries
//! our [`EventMetadata`] fields plus the stored `position`, `event_id` and `recorded_at`.
//! Loads start from the stream's snapshot when there is a usable one (see [`snapshots`]).

use super::codec::{self, CodecError};
pub use super::metadata_map::keys;
use super::snapshots;
use super::{
    AppendRequest, EventMetadata, EventStore, ExpectedVersion, NewEvent, Position, RecordedEvent,
    StoreError, Version,
};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, AggregateContext, AggregateError, EventEnvelope};
use domain::StateVersion;
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;
use uuid::Uuid;

/// The stream of one aggregate instance.
pub fn stream_name<A: Aggregate>(aggregate_id: &str) -> String {
    format!("{}-{}", A::TYPE, aggregate_id)
}

/// An aggregate loaded from its stream, with the version it was loaded at.
pub struct LoadedAggregate<A> {
    /// The aggregate's id.
    pub aggregate_id: String,
    /// Its state.
    pub aggregate: A,
    /// The stream version it reflects (0: new).
    pub version: Version,
    /// The global position of its last event (0: new).
    pub position: Position,
}

impl<A: Aggregate> AggregateContext<A> for LoadedAggregate<A> {
    fn aggregate(&mut self) -> &mut A {
        &mut self.aggregate
    }
}

/// What a command appended.
pub struct Executed<A: Aggregate> {
    /// The committed events (empty when the command was already satisfied).
    pub events: Vec<EventEnvelope<A>>,
    /// The stream's version after the command.
    pub version: Version,
    /// The global position of the last appended event, if any.
    pub position: Option<Position>,
}

/// The cqrs-es event store for aggregate `A` over any [`EventStore`].
pub struct AggregateStore<A> {
    store: Arc<dyn EventStore>,
    _aggregate: PhantomData<fn() -> A>,
}

impl<A> Clone for AggregateStore<A> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            _aggregate: PhantomData,
        }
    }
}

impl<A: Aggregate + StateVersion> AggregateStore<A> {
    /// Wraps a store.
    pub fn new(store: Arc<dyn EventStore>) -> Self {
        Self {
            store,
            _aggregate: PhantomData,
        }
    }

    /// Loads, handles and commits one command, like `CqrsFramework::execute_with_metadata`,
    /// but answers with the stream version and global position the command reached.
    pub async fn execute(
        &self,
        aggregate_id: &str,
        command: A::Command,
        services: &A::Services,
        metadata: HashMap<String, String>,
    ) -> Result<Executed<A>, AggregateError<A::Error>> {
        let mut context = cqrs_es::EventStore::load_aggregate(self, aggregate_id).await?;
        let loaded_version = context.version;
        let sink = EventSink::default();
        context
            .aggregate
            .handle(command, services, &sink)
            .await
            .map_err(AggregateError::UserError)?;
        let events = sink.collect().await;
        let committed = cqrs_es::EventStore::commit(self, events, context, metadata).await?;
        let position = committed.last().and_then(envelope_position);
        let version = committed
            .last()
            .map_or(loaded_version, |e| e.sequence as Version);
        Ok(Executed {
            events: committed,
            version,
            position,
        })
    }

    fn envelope(
        &self,
        aggregate_id: &str,
        record: RecordedEvent,
    ) -> Result<EventEnvelope<A>, AggregateError<A::Error>> {
        let payload = codec::decode::<A::Event>(&record.event_type, record.payload)
            .map_err(|e| AggregateError::DeserializationError(Box::new(e)))?;
        let mut metadata = record.metadata.to_map();
        metadata.insert(keys::POSITION.into(), record.position.to_string());
        metadata.insert(keys::EVENT_ID.into(), record.event_id.to_string());
        metadata.insert(keys::RECORDED_AT.into(), record.recorded_at.to_rfc3339());
        Ok(EventEnvelope {
            aggregate_id: aggregate_id.to_owned(),
            sequence: record.version as usize,
            payload,
            metadata,
        })
    }

    /// Saves a snapshot of `state` in the background when the stream went from version
    /// `before` to `after` past a multiple of [`snapshots::SNAPSHOT_EVERY`].
    pub fn snapshot_if_due(
        &self,
        aggregate_id: &str,
        state: &A,
        before: Version,
        after: Version,
        position: Position,
    ) {
        if !snapshots::due(before, after) {
            return;
        }
        let stream = stream_name::<A>(aggregate_id);
        if let Some(snapshot) = snapshots::take(&stream, state, after, position) {
            snapshots::save_later(self.store.clone(), snapshot);
        }
    }

    /// The stream's usable snapshot as a state, its version and position; a failure to read
    /// one is no snapshot: the log alone can always answer.
    async fn restore(&self, stream: &str) -> Option<(A, Version, Position)> {
        match self.store.load_snapshot(stream).await {
            Ok(snapshot) => {
                let snapshot = snapshot?;
                let state = snapshots::restore::<A>(&snapshot)?;
                Some((state, snapshot.version, snapshot.position))
            }
            Err(error) => {
                tracing::debug!(%error, stream, "no snapshot read; replaying the stream");
                None
            }
        }
    }

    async fn read_versions(
        &self,
        aggregate_id: &str,
        from: Version,
        to: Version,
    ) -> Result<Vec<EventEnvelope<A>>, AggregateError<A::Error>> {
        let records = self
            .store
            .read_stream(&stream_name::<A>(aggregate_id), from)
            .await
            .map_err(store_error)?;
        records
            .into_iter()
            .take_while(|r| r.version <= to)
            .map(|r| self.envelope(aggregate_id, r))
            .collect()
    }
}

/// The global position recorded in an envelope's metadata.
pub fn envelope_position<A: Aggregate>(envelope: &EventEnvelope<A>) -> Option<Position> {
    envelope.metadata.get(keys::POSITION)?.parse().ok()
}

fn store_error<E: std::error::Error>(error: StoreError) -> AggregateError<E> {
    match error {
        StoreError::Conflict { .. } => AggregateError::AggregateConflict,
        StoreError::Unavailable(_) => AggregateError::DatabaseConnectionError(Box::new(error)),
        StoreError::Corrupt { .. } => AggregateError::DeserializationError(Box::new(error)),
        other => AggregateError::UnexpectedError(Box::new(other)),
    }
}

fn codec_error<E: std::error::Error>(error: CodecError) -> AggregateError<E> {
    AggregateError::UnexpectedError(Box::new(error))
}

impl<A: Aggregate + StateVersion> cqrs_es::EventStore<A> for AggregateStore<A> {
    type AC = LoadedAggregate<A>;

    async fn load_events(
        &self,
        aggregate_id: &str,
    ) -> Result<Vec<EventEnvelope<A>>, AggregateError<A::Error>> {
        self.read_versions(aggregate_id, 1, Version::MAX).await
    }

    async fn load_aggregate(
        &self,
        aggregate_id: &str,
    ) -> Result<LoadedAggregate<A>, AggregateError<A::Error>> {
        let stream = stream_name::<A>(aggregate_id);
        let (mut aggregate, from, from_position) = self
            .restore(&stream)
            .await
            .unwrap_or_else(|| (A::default(), 0, 0));
        // Only the payloads matter here: no metadata, hashes, envelopes or metadata maps.
        let records = self
            .store
            .read_payloads(&stream, from + 1)
            .await
            .map_err(store_error)?;
        let version = records.last().map_or(from, |r| r.version);
        let position = records.last().map_or(from_position, |r| r.position);
        for record in records {
            let event = codec::decode::<A::Event>(&record.event_type, record.payload)
                .map_err(|e| AggregateError::DeserializationError(Box::new(e)))?;
            aggregate.apply(event);
        }
        if version - from >= snapshots::SNAPSHOT_EVERY
            && let Some(snapshot) = snapshots::take(&stream, &aggregate, version, position)
        {
            snapshots::save_later(self.store.clone(), snapshot);
        }
        Ok(LoadedAggregate {
            aggregate_id: aggregate_id.to_owned(),
            aggregate,
            version,
            position,
        })
    }

    async fn commit(
        &self,
        events: Vec<A::Event>,
        context: LoadedAggregate<A>,
        metadata: HashMap<String, String>,
    ) -> Result<Vec<EventEnvelope<A>>, AggregateError<A::Error>> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let metadata = EventMetadata::from_map(&metadata)
            .map_err(|e| AggregateError::UnexpectedError(e.into()))?;
        let new_events = events
            .iter()
            .map(|event| {
                codec::encode(event).map(|(event_type, version, payload)| {
                    NewEvent::new(event_type, version, payload)
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(codec_error)?;
        let expected = match context.version {
            0 => ExpectedVersion::NoStream,
            v => ExpectedVersion::Exact(v),
        };
        let ids: Vec<Uuid> = new_events.iter().map(|e| e.event_id).collect();
        let map = metadata.to_map();
        let request = AppendRequest {
            stream: stream_name::<A>(&context.aggregate_id),
            expected,
            events: new_events,
            metadata,
        };
        let outcome = self.store.append(request).await.map_err(store_error)?;
        let dense = outcome.last_position + 1 - outcome.first_position == events.len() as u64;
        if let (false, true, Some(recorded_at)) = (outcome.deduplicated, dense, outcome.recorded_at)
        {
            // Everything stored is known: no need to read it back.
            let envelopes = events.into_iter().zip(ids).enumerate();
            return Ok(envelopes
                .map(|(i, (payload, event_id))| {
                    let mut metadata = map.clone();
                    let position = outcome.first_position + i as u64;
                    metadata.insert(keys::POSITION.into(), position.to_string());
                    metadata.insert(keys::EVENT_ID.into(), event_id.to_string());
                    metadata.insert(keys::RECORDED_AT.into(), recorded_at.to_rfc3339());
                    EventEnvelope {
                        aggregate_id: context.aggregate_id.clone(),
                        sequence: (outcome.first_version + i as u64) as usize,
                        payload,
                        metadata,
                    }
                })
                .collect());
        }
        // A retried command returns what its first attempt stored, not what it decided now.
        self.read_versions(
            &context.aggregate_id,
            outcome.first_version,
            outcome.last_version,
        )
        .await
    }
}
