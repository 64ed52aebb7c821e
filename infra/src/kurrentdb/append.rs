//! Appends: one `append_to_stream` per request, expecting the exact revision whose hash the
//! new events chain from (an `Any` append re-reads and retries when another writer got in
//! first). A command id makes the event ids deterministic and leaves an idempotency record
//! in its own stream, written after the events: a retry finds the record, or (if the writer
//! died in between) finds its own events at the stream's end.

use super::convert::{self, CustomMetadata, command_stream, state_at, store_error};
use super::names::Names;
use super::read::{last_event, stream_events};
use crate::event_store::hash::{self, GENESIS};
use crate::event_store::prepared::PreparedAppend;
use crate::event_store::stored::{LinkInput, format_time};
use crate::event_store::{AppendOutcome, ExpectedVersion, StoreError};
use kurrentdb::{AppendToStreamOptions, Client, EventData, StreamState};

/// How often an `Any` append re-reads after losing a race.
const ANY_RETRIES: usize = 10;

/// Appends one request.
pub(super) async fn append(
    client: &Client,
    names: &Names,
    append: &PreparedAppend,
) -> Result<AppendOutcome, StoreError> {
    if let Some(outcome) = recorded(client, names, append).await? {
        return Ok(outcome);
    }
    for _ in 0..ANY_RETRIES {
        let last = last_event(client, names, &append.stream).await?;
        let current = last.as_ref().map_or(0, |e| e.version);
        if let (Some(last), Some(command_id)) = (&last, append.command_id)
            && serde_json::from_str::<serde_json::Value>(&last.metadata)
                .ok()
                .and_then(|m| m.get("command_id").cloned())
                == Some(serde_json::json!(command_id))
        {
            // Our own events, written by an attempt that died before its record.
            let outcome = replay(client, names, append, current).await?;
            return Ok(AppendOutcome {
                deduplicated: true,
                ..outcome
            });
        }
        if !append.expected.accepts(current) {
            return Err(StoreError::Conflict {
                stream: append.stream.clone(),
                expected: append.expected,
                current,
            });
        }
        let previous = match &last {
            Some(e) => hash::from_hex(&e.hash).unwrap_or(GENESIS),
            None => GENESIS,
        };
        let events = encode(append, current, previous)?;
        let options = AppendToStreamOptions::default().stream_state(state_at(current));
        let stream = names.physical(&append.stream);
        match client.append_to_stream(stream, &options, events).await {
            Ok(_) => {
                let last = current + append.events.len() as u64;
                return replay(client, names, append, last).await;
            }
            Err(kurrentdb::Error::WrongExpectedVersion { .. })
                if append.expected == ExpectedVersion::Any => {}
            Err(e) => return Err(store_error(e, &append.stream, append.expected)),
        }
    }
    Err(StoreError::Unavailable(format!(
        "stream {} is too busy to append to",
        append.stream
    )))
}

/// The events of an append, chained after `previous` from version `current + 1`.
fn encode(
    append: &PreparedAppend,
    current: u64,
    mut previous: [u8; 32],
) -> Result<Vec<EventData>, StoreError> {
    let recorded_at = format_time(chrono::Utc::now());
    let mut seen = std::collections::HashSet::new();
    let mut events = Vec::with_capacity(append.events.len());
    for (i, event) in append.events.iter().enumerate() {
        let event_id = convert::event_id(append.command_id, i, event.event_id);
        if !seen.insert(event_id) {
            return Err(StoreError::DuplicateEvent(event_id));
        }
        let payload: serde_json::Value =
            serde_json::from_str(&event.payload).map_err(|e| StoreError::Invalid(e.to_string()))?;
        // The bytes the client stores: `EventData::json` serializes the same way.
        let data =
            serde_json::to_string(&payload).map_err(|e| StoreError::Invalid(e.to_string()))?;
        previous = hash::link(
            &previous,
            &LinkInput {
                stream: &append.stream,
                version: current + 1 + i as u64,
                event_id,
                event_type: &event.event_type,
                schema_version: event.schema_version,
                payload: &data,
                metadata: &append.metadata,
                recorded_at: &recorded_at,
            },
        );
        let custom = CustomMetadata {
            metadata: append.metadata.clone(),
            schema_version: event.schema_version,
            recorded_at: recorded_at.clone(),
            hash: hash::to_hex(&previous),
            command_id: append.command_id,
        };
        let encoded = EventData::json(&event.event_type, &payload)
            .and_then(|e| e.id(event_id).metadata_as_json(&custom))
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        events.push(encoded);
    }
    Ok(events)
}

/// Reads back what an append wrote (its events end at version `last`), records the command
/// and answers.
async fn replay(
    client: &Client,
    names: &Names,
    append: &PreparedAppend,
    last: u64,
) -> Result<AppendOutcome, StoreError> {
    let n = append.events.len() as u64;
    let first = last + 1 - n;
    let written = stream_events(
        client,
        names,
        &append.stream,
        first - 1,
        Some(n as usize),
        false,
    )
    .await?;
    let (Some(head), Some(tail)) = (written.first(), written.last()) else {
        return Err(StoreError::Backend("appended events are missing".into()));
    };
    let outcome = AppendOutcome {
        stream: append.stream.clone(),
        first_version: head.version,
        last_version: tail.version,
        first_position: head.position,
        last_position: tail.position,
        deduplicated: false,
        // Event ids may be derived from the command id: let callers read the events back.
        recorded_at: None,
    };
    if let Some(command_id) = append.command_id {
        let record = EventData::json("CommandRecorded", &outcome)
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        let options = AppendToStreamOptions::default().stream_state(StreamState::NoStream);
        let record_stream = names.physical(&command_stream(command_id));
        match client
            .append_to_stream(record_stream, &options, record)
            .await
        {
            Ok(_) | Err(kurrentdb::Error::WrongExpectedVersion { .. }) => {}
            Err(e) => return Err(store_error(e, &append.stream, append.expected)),
        }
    }
    Ok(outcome)
}

/// The first outcome of the append's command, if it was recorded.
async fn recorded(
    client: &Client,
    names: &Names,
    append: &PreparedAppend,
) -> Result<Option<AppendOutcome>, StoreError> {
    let Some(command_id) = append.command_id else {
        return Ok(None);
    };
    let Some(first) = command_outcome(client, names, command_id).await? else {
        return Ok(None);
    };
    if first.stream != append.stream {
        return Err(StoreError::CommandReused {
            command_id,
            stream: first.stream,
        });
    }
    Ok(Some(first))
}

/// The recorded outcome of a command id.
pub(super) async fn command_outcome(
    client: &Client,
    names: &Names,
    command_id: uuid::Uuid,
) -> Result<Option<AppendOutcome>, StoreError> {
    let options = kurrentdb::ReadStreamOptions::default().max_count(1);
    let record_stream = names.physical(&command_stream(command_id));
    let mut read = match client.read_stream(record_stream, &options).await {
        Ok(read) => read,
        Err(kurrentdb::Error::ResourceNotFound) => return Ok(None),
        Err(e) => return Err(convert::read_error(e)),
    };
    match read.next().await {
        Ok(Some(event)) => {
            let mut outcome: AppendOutcome = event
                .get_original_event()
                .as_json()
                .map_err(|e| StoreError::Backend(format!("idempotency record: {e}")))?;
            outcome.deduplicated = true;
            Ok(Some(outcome))
        }
        Ok(None) | Err(kurrentdb::Error::ResourceNotFound) => Ok(None),
        Err(e) => Err(convert::read_error(e)),
    }
}
