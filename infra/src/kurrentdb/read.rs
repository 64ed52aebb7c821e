//! Reads: a stream's events, its last event, and pages of the global log (`$all`) with
//! system events and idempotency records filtered out.

use super::convert::{self, Fetched, read_error};
use super::names::Names;
use crate::event_store::stored::StoredEvent;
use crate::event_store::{Position, StoreError};
use kurrentdb::{Client, ReadAllOptions, ReadStreamOptions, ResolvedEvent, StreamPosition};

/// The stored form of a resolved event, under its stream's name in the port.
pub(super) fn stored(names: &Names, event: &ResolvedEvent) -> Result<StoredEvent, StoreError> {
    let e = event.get_original_event();
    convert::stored_event(&Fetched {
        stream: names.logical(e.stream_id()).unwrap_or(e.stream_id()),
        revision: e.revision,
        event_id: e.id,
        event_type: &e.event_type,
        data: &e.data,
        custom_metadata: &e.custom_metadata,
        position: convert::position_of(e.position),
    })
}

/// A stream's events (the port's name) from revision `from` on, at most `max` (all when
/// `None`), or its last ones when `backwards`; an absent stream has none.
pub(super) async fn stream_events(
    client: &Client,
    names: &Names,
    stream: &str,
    from: u64,
    max: Option<usize>,
    backwards: bool,
) -> Result<Vec<StoredEvent>, StoreError> {
    let mut options = ReadStreamOptions::default();
    options = if backwards {
        options.backwards().position(StreamPosition::End)
    } else {
        options.forwards().position(StreamPosition::Position(from))
    };
    if let Some(max) = max {
        options = options.max_count(max);
    }
    let mut read = match client.read_stream(names.physical(stream), &options).await {
        Ok(read) => read,
        Err(kurrentdb::Error::ResourceNotFound) => return Ok(Vec::new()),
        Err(e) => return Err(read_error(e)),
    };
    let mut events = Vec::new();
    loop {
        match read.next().await {
            Ok(Some(event)) => events.push(stored(names, &event)?),
            Ok(None) | Err(kurrentdb::Error::ResourceNotFound) => return Ok(events),
            Err(e) => return Err(read_error(e)),
        }
    }
}

/// The last event of a stream, if any.
pub(super) async fn last_event(
    client: &Client,
    names: &Names,
    stream: &str,
) -> Result<Option<StoredEvent>, StoreError> {
    Ok(stream_events(client, names, stream, 0, Some(1), true)
        .await?
        .pop())
}

/// Up to `limit` visible events of `$all` after `after`, in order. Reads on past hidden
/// events, so a page is short only at the end of the log.
pub(super) async fn global_page(
    client: &Client,
    names: &Names,
    after: Position,
    limit: usize,
) -> Result<Vec<StoredEvent>, StoreError> {
    let mut events = Vec::new();
    let mut cursor = after;
    while events.len() < limit {
        let want = limit - events.len() + 1;
        let options = ReadAllOptions::default()
            .forwards()
            .position(convert::read_from(cursor))
            .filter(names.filter())
            .max_count(want);
        let mut read = client.read_all(&options).await.map_err(read_error)?;
        let mut fetched = 0;
        let mut moved = false;
        while let Some(event) = read.next().await.map_err(read_error)? {
            fetched += 1;
            let e = event.get_original_event();
            let position = convert::position_of(e.position);
            if position <= cursor {
                continue;
            }
            cursor = position;
            moved = true;
            if names.visible(e.stream_id(), &e.event_type) && events.len() < limit {
                events.push(stored(names, &event)?);
            }
        }
        if fetched < want || !moved {
            break;
        }
    }
    Ok(events)
}

/// The commit position of the newest visible event (0 for an empty log).
pub(super) async fn head(client: &Client, names: &Names) -> Result<Position, StoreError> {
    let options = ReadAllOptions::default()
        .backwards()
        .position(StreamPosition::End)
        .filter(names.filter())
        .max_count(64);
    let mut read = client.read_all(&options).await.map_err(read_error)?;
    while let Some(event) = read.next().await.map_err(read_error)? {
        let e = event.get_original_event();
        if names.visible(e.stream_id(), &e.event_type) {
            return Ok(convert::position_of(e.position));
        }
    }
    Ok(0)
}
