//! One append transaction for a batch of appends: the SQL path every PostgreSQL append takes.
//!
//! 1. Look up, with one query each, the command ids already stored, the streams' heads
//!    (`FOR UPDATE`, in name order, so concurrent writers of a stream wait for each other)
//!    and, when asked, the event ids already taken (the writer skips that lookup for a whole
//!    batch: a reused id then fails the batch with a unique violation, and the writer redoes
//!    its appends one at a time with the lookup, which names the duplicate).
//! 2. Decide every append in memory, in order: deduplicated, conflict, duplicate id, or
//!    written at which versions.
//! 3. Take the head lock: `UPDATE es_head SET position = position + n` hands out the batch's
//!    positions and holds the row lock until the transaction ends. This is the last step
//!    before the inserts and the commit, so the next appender (in any process) gets its
//!    positions only after this transaction has committed: positions become visible in
//!    order and a reader of `position > p` can never skip a row that commits later. The same
//!    statement queues the `NOTIFY` (delivered at commit) and picks a commit time that never
//!    goes backwards along the log.
//! 4. Chain the hashes and insert events, stream heads and idempotency records, each with
//!    one `UNNEST` statement.
//!
//! A writer that raced another process (a stream created or a command stored meanwhile) gets
//! a unique violation from the database; the writer retries such appends on a fresh view.

use super::decide::{Decision, answers, decide};
use super::rows::Rows;
use crate::event_store::hash::GENESIS;
use crate::event_store::prepared::PreparedAppend;
use crate::event_store::stored::format_time;
use crate::event_store::{AppendOutcome, Position, StoreError, Version};
use sqlx::{PgConnection, Row};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// The `LISTEN/NOTIFY` channel; the payload is the new head position.
pub(super) const NOTIFY_CHANNEL: &str = "ecommerce_event_store";

/// What a transaction did for each append of its batch, and the head it reached.
pub(super) struct Written {
    /// One answer per append, in batch order.
    pub results: Vec<Result<AppendOutcome, StoreError>>,
    /// The new head position, when something was written.
    pub head: Option<Position>,
}

/// Writes a batch inside the caller's open transaction; the caller commits. With
/// `check_ids`, event ids already stored are refused as duplicates; without, they fail the
/// whole transaction with a unique violation.
pub(super) async fn write(
    conn: &mut PgConnection,
    batch: &[&PreparedAppend],
    check_ids: bool,
) -> Result<Written, sqlx::Error> {
    let stored = stored_commands(conn, batch).await?;
    let heads = stream_heads(conn, batch).await?;
    let taken = if check_ids {
        taken_ids(conn, batch).await?
    } else {
        HashSet::new()
    };
    let ends = stream_ends(conn, batch).await?;
    let decisions = decide(batch, &stored, &heads, &ends, taken);
    let total: usize = decisions
        .iter()
        .zip(batch)
        .filter(|(d, _)| matches!(d, Decision::Write { .. }))
        .map(|(_, a)| a.events.len())
        .sum();
    if total == 0 {
        return Ok(Written {
            results: answers(decisions, &[]),
            head: None,
        });
    }
    let (head, recorded_at) = take_head(conn, total).await?;
    let first_position = head + 1 - total as Position;
    let rows = Rows::build(batch, &decisions, &heads, first_position, &recorded_at);
    rows.insert(conn, &recorded_at).await?;
    Ok(Written {
        results: answers(decisions, &rows.outcomes),
        head: Some(head),
    })
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

async fn stored_commands(
    conn: &mut PgConnection,
    batch: &[&PreparedAppend],
) -> Result<HashMap<Uuid, AppendOutcome>, sqlx::Error> {
    let ids: Vec<Uuid> = batch.iter().filter_map(|a| a.command_id).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = sqlx::query(
        "SELECT command_id, stream, first_version, last_version, first_position, last_position
         FROM commands WHERE command_id = ANY($1)",
    )
    .bind(ids)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get(0)?, super::reader::outcome(row, 1)?)))
        .collect()
}

async fn stream_heads(
    conn: &mut PgConnection,
    batch: &[&PreparedAppend],
) -> Result<HashMap<String, (Version, [u8; 32])>, sqlx::Error> {
    let mut names: Vec<&str> = batch.iter().map(|a| a.stream.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let rows = sqlx::query(
        "SELECT stream, version, hash FROM streams WHERE stream = ANY($1)
         ORDER BY stream FOR UPDATE",
    )
    .bind(names)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            let version: i64 = row.try_get(1)?;
            let hash: Vec<u8> = row.try_get(2)?;
            let hash = <[u8; 32]>::try_from(hash.as_slice()).unwrap_or(GENESIS);
            Ok((row.try_get(0)?, (version.max(0) as Version, hash)))
        })
        .collect()
}

/// The last event of each stream that an append expects to end with
/// ([`crate::event_store::ExpectedVersion::After`]); no query when none does.
async fn stream_ends(
    conn: &mut PgConnection,
    batch: &[&PreparedAppend],
) -> Result<HashMap<String, Uuid>, sqlx::Error> {
    let names: Vec<&str> = batch
        .iter()
        .filter(|a| a.expected.last_event().is_some())
        .map(|a| a.stream.as_str())
        .collect();
    if names.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = sqlx::query(
        "SELECT s.stream, e.event_id FROM streams s
         JOIN events e ON e.stream = s.stream AND e.version = s.version
         WHERE s.stream = ANY($1)",
    )
    .bind(names)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
        .collect()
}

async fn taken_ids(
    conn: &mut PgConnection,
    batch: &[&PreparedAppend],
) -> Result<HashSet<Uuid>, sqlx::Error> {
    let ids: Vec<Uuid> = batch
        .iter()
        .flat_map(|a| a.events.iter().map(|e| e.event_id))
        .collect();
    sqlx::query_scalar("SELECT event_id FROM events WHERE event_id = ANY($1)")
        .bind(ids)
        .fetch_all(conn)
        .await
        .map(|ids| ids.into_iter().collect())
}

/// Locks the head row and moves it by `total`; returns the new head and the commit time.
async fn take_head(
    conn: &mut PgConnection,
    total: usize,
) -> Result<(Position, String), sqlx::Error> {
    let now = format_time(chrono::Utc::now());
    let row = sqlx::query(
        "WITH head AS (
             UPDATE es_head SET position = position + $1, recorded_at = GREATEST(recorded_at, $2)
             RETURNING position, recorded_at),
         notified AS (SELECT pg_notify($3, position::text) FROM head)
         SELECT position, recorded_at FROM head, notified",
    )
    .bind(to_i64(total as u64))
    .bind(now)
    .bind(NOTIFY_CHANNEL)
    .fetch_one(conn)
    .await?;
    let head: i64 = row.try_get(0)?;
    Ok((head.max(0) as Position, row.try_get(1)?))
}
