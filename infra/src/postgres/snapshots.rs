//! Snapshots beside the streams: the `snapshots` table, one row per stream, written and read
//! on the read pool (a snapshot never takes the head lock that orders appends).

use super::errors::pg_error;
use crate::event_store::{Snapshot, StoreError};
use sqlx::{PgPool, Row};

/// Keeps `snapshot` with the position and link of its stream's event at its version; nothing
/// when there is no such event, or a later snapshot of the same layout is kept already.
pub(super) async fn save(pool: &PgPool, snapshot: &Snapshot) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO snapshots (stream, version, position, hash, state_version, state)
         SELECT stream, version, position, hash, $3, $4 FROM events
         WHERE stream = $1 AND version = $2
         ON CONFLICT (stream) DO UPDATE SET version = excluded.version,
             position = excluded.position, hash = excluded.hash,
             state_version = excluded.state_version, state = excluded.state,
             taken_at = now()
         WHERE excluded.version >= snapshots.version
            OR excluded.state_version <> snapshots.state_version",
    )
    .bind(&snapshot.stream)
    .bind(i64::try_from(snapshot.version).unwrap_or(i64::MAX))
    .bind(i32::try_from(snapshot.state_version).unwrap_or(i32::MAX))
    .bind(&snapshot.state)
    .execute(pool)
    .await
    .map_err(pg_error)?;
    Ok(())
}

/// The stream's snapshot, while its event at the snapshot's version carries the same link.
pub(super) async fn load(pool: &PgPool, stream: &str) -> Result<Option<Snapshot>, StoreError> {
    let row = sqlx::query(
        "SELECT s.version, s.position, s.state_version, s.state FROM snapshots s
         JOIN events e ON e.stream = s.stream AND e.version = s.version
         WHERE s.stream = $1 AND e.hash = s.hash",
    )
    .bind(stream)
    .fetch_optional(pool)
    .await
    .map_err(pg_error)?;
    let Some(row) = row else { return Ok(None) };
    let read = || -> Result<Snapshot, sqlx::Error> {
        let version: i64 = row.try_get(0)?;
        let position: i64 = row.try_get(1)?;
        let state_version: i32 = row.try_get(2)?;
        Ok(Snapshot {
            stream: stream.to_owned(),
            version: u64::try_from(version).unwrap_or(0),
            position: u64::try_from(position).unwrap_or(0),
            state_version: u32::try_from(state_version).unwrap_or(0),
            state: row.try_get(3)?,
        })
    };
    read().map(Some).map_err(pg_error)
}
