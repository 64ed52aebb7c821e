//! cqrs-es on our event store: [`AggregateStore`] implements `cqrs_es::EventStore`, so a
//! `CqrsFramework` loads and commits aggregates through any backend of the port.
//!
//! A stream per aggregate instance, named `{Aggregate::TYPE}-{id}`. Envelope metadata carries
//! our [`EventMetadata`] fields plus the stored `position`, `event_id` and `recorded_at`.

use super::codec::{self, CodecError};
use super::{
    AppendRequest, EventMetadata, EventStore, ExpectedVersion, NewEvent, Position, RecordedEvent,
    StoreError, Version,
};
use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, AggregateContext, AggregateError, EventEnvelope};
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;
use uuid::Uuid;

/// Metadata keys in cqrs-es envelopes.
pub mod keys {
    /// [`EventMetadata::correlation_id`](super::EventMetadata::correlation_id).
    pub const CORRELATION_ID: &str = "correlation_id";
    /// [`EventMetadata::causation_id`](super::EventMetadata::causation_id).
    pub const CAUSATION_ID: &str = "causation_id";
    /// [`EventMetadata::user_id`](super::EventMetadata::user_id).
    pub const USER_ID: &str = "user_id";
    /// [`EventMetadata::command_id`](super::EventMetadata::command_id).
    pub const COMMAND_ID: &str = "command_id";
    /// [`EventMetadata::occurred_at`](super::EventMetadata::occurred_at), RFC 3339.
    pub const OCCURRED_AT: &str = "occurred_at";
    /// The event's global position (read only).
    pub const POSITION: &str = "position";
    /// The event's id (read only).
    pub const EVENT_ID: &str = "event_id";
    /// The commit time (read only).
    pub const RECORDED_AT: &str = "recorded_at";
}

/// The stream of one aggregate instance.
pub fn stream_name<A: Aggregate>(aggregate_id: &str) -> String {
    format!("{}-{}", A::TYPE, aggregate_id)
}

impl EventMetadata {
    /// Reads metadata from a cqrs-es map. A missing correlation id starts a new conversation;
    /// a missing time is now.
    pub fn from_map(map: &HashMap<String, String>) -> Result<Self, String> {
        let uuid = |key: &str| -> Result<Option<Uuid>, String> {
            map.get(key)
                .map(|v| Uuid::parse_str(v).map_err(|e| format!("{key}: {e}")))
                .transpose()
        };
        let occurred_at = match map.get(keys::OCCURRED_AT) {
            Some(t) => DateTime::parse_from_rfc3339(t)
                .map_err(|e| format!("{}: {e}", keys::OCCURRED_AT))?
                .with_timezone(&Utc),
            None => Utc::now(),
        };
        Ok(Self {
            correlation_id: uuid(keys::CORRELATION_ID)?.unwrap_or_else(Uuid::now_v7),
            causation_id: uuid(keys::CAUSATION_ID)?,
            user_id: map.get(keys::USER_ID).cloned(),
            command_id: uuid(keys::COMMAND_ID)?,
            occurred_at,
        })
    }

    /// Writes metadata into a cqrs-es map.
    pub fn to_map(&self) -> HashMap<String, String> {
        let mut map = HashMap::new();
        map.insert(keys::CORRELATION_ID.into(), self.correlation_id.to_string());
        if let Some(id) = self.causation_id {
            map.insert(keys::CAUSATION_ID.into(), id.to_string());
        }
        if let Some(user) = &self.user_id {
            map.insert(keys::USER_ID.into(), user.clone());
        }
        if let Some(id) = self.command_id {
            map.insert(keys::COMMAND_ID.into(), id.to_string());
        }
        map.insert(keys::OCCURRED_AT.into(), self.occurred_at.to_rfc3339());
        map
    }
}

/// An aggregate loaded from its stream, with the version it was loaded at.
pub struct LoadedAggregate<A> {
    /// The aggregate's id.
    pub aggregate_id: String,
    /// Its state.
    pub aggregate: A,
    /// The stream version it reflects (0: new).
    pub version: Version,
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

impl<A: Aggregate> AggregateStore<A> {
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

impl<A: Aggregate> cqrs_es::EventStore<A> for AggregateStore<A> {
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
        // Only the payloads matter here: no envelopes, no metadata maps.
        let records = self
            .store
            .read_stream(&stream_name::<A>(aggregate_id), 1)
            .await
            .map_err(store_error)?;
        let version = records.last().map_or(0, |r| r.version);
        let mut aggregate = A::default();
        for record in records {
            let event = codec::decode::<A::Event>(&record.event_type, record.payload)
                .map_err(|e| AggregateError::DeserializationError(Box::new(e)))?;
            aggregate.apply(event);
        }
        Ok(LoadedAggregate {
            aggregate_id: aggregate_id.to_owned(),
            aggregate,
            version,
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
        let request = AppendRequest {
            stream: stream_name::<A>(&context.aggregate_id),
            expected,
            events: new_events,
            metadata,
        };
        let outcome = self.store.append(request).await.map_err(store_error)?;
        // A retried command returns what its first attempt stored, not what it decided now.
        self.read_versions(
            &context.aggregate_id,
            outcome.first_version,
            outcome.last_version,
        )
        .await
    }
}
