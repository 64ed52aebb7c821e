//! Reads: rows of `events` and `commands` back into the port's types. Every read is one
//! statement, so it sees one snapshot: a committed, gap-free prefix of the log.

use super::errors::pg_error;
use crate::event_store::hash;
use crate::event_store::stored::{StoredEvent, upcast_payload};
use crate::event_store::{AppendOutcome, EventPayload, StoreError, Version};
use domain::schema::Upcasters;
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row};

/// The columns [`stored_event`] expects, in order.
pub(super) const EVENT_COLUMNS: &str = "position, stream, version, event_id, event_type, \
     schema_version, payload, metadata, recorded_at, hash";

fn unsigned(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// Maps a row of [`EVENT_COLUMNS`].
pub(super) fn stored_event(row: &PgRow) -> Result<StoredEvent, sqlx::Error> {
    let link: Vec<u8> = row.try_get(9)?;
    let schema_version: i32 = row.try_get(5)?;
    Ok(StoredEvent {
        position: unsigned(row.try_get(0)?),
        stream: row.try_get(1)?,
        version: unsigned(row.try_get(2)?),
        event_id: row.try_get(3)?,
        event_type: row.try_get(4)?,
        schema_version: u32::try_from(schema_version).unwrap_or(0),
        payload: row.try_get(6)?,
        metadata: row.try_get(7)?,
        recorded_at: row.try_get(8)?,
        // A link of the wrong length is reported by `verify`, not here.
        hash: <[u8; 32]>::try_from(link.as_slice())
            .map(|l| hash::to_hex(&l))
            .unwrap_or_default(),
    })
}

/// Maps `stream, first_version, last_version, first_position, last_position`, starting at
/// column `at`, to a stored (deduplicated) outcome.
pub(super) fn outcome(row: &PgRow, at: usize) -> Result<AppendOutcome, sqlx::Error> {
    Ok(AppendOutcome {
        stream: row.try_get(at)?,
        first_version: unsigned(row.try_get(at + 1)?),
        last_version: unsigned(row.try_get(at + 2)?),
        first_position: unsigned(row.try_get(at + 3)?),
        last_position: unsigned(row.try_get(at + 4)?),
        deduplicated: true,
        recorded_at: None,
    })
}

/// A stream's versions, types and upcast payloads from `from` on: no metadata or hashes
/// leave the server.
pub(super) async fn payloads(
    pool: &PgPool,
    upcasters: &Upcasters,
    stream: &str,
    from: Version,
) -> Result<Vec<EventPayload>, StoreError> {
    let rows = sqlx::query(
        "SELECT version, event_type, schema_version, payload, position FROM events
         WHERE stream = $1 AND version >= $2 ORDER BY version",
    )
    .bind(stream)
    .bind(i64::try_from(from).unwrap_or(i64::MAX))
    .fetch_all(pool)
    .await
    .map_err(pg_error)?;
    rows.iter()
        .map(|row| {
            let version = unsigned(row.try_get(0).map_err(pg_error)?);
            let event_type: String = row.try_get(1).map_err(pg_error)?;
            let schema_version: i32 = row.try_get(2).map_err(pg_error)?;
            let payload: &str = row.try_get(3).map_err(pg_error)?;
            let schema_version = u32::try_from(schema_version).unwrap_or(0);
            let position = unsigned(row.try_get(4).map_err(pg_error)?);
            let payload =
                upcast_payload(upcasters, position, &event_type, schema_version, payload)?;
            Ok(EventPayload {
                version,
                position,
                event_type,
                payload,
            })
        })
        .collect()
}
