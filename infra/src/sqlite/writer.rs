//! The single writer: one thread owns the write connection and turns every append that is
//! waiting into one transaction (group commit). Each append runs inside its own savepoint, so
//! a refused append (conflict, duplicate id) rolls back alone while the others commit.
//! Callers are answered only after the commit, so an acknowledged append is durable. Between
//! batches it truncates the WAL once it has grown past its bound. Snapshots are written by
//! the same thread, in the same transactions, so they never wait on a lock.

use super::checkpoint::WalBound;
use super::errors::sql_error;
use crate::event_store::hash::{self, GENESIS};
use crate::event_store::prepared::PreparedAppend;
use crate::event_store::stored::{LinkInput, format_time, parse_time};
use crate::event_store::{AppendOutcome, Position, Snapshot, StoreError, Version};
use chrono::Utc;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::sync::mpsc;
use tokio::sync::{oneshot, watch};
use uuid::Uuid;

pub(super) enum Job {
    Append(
        PreparedAppend,
        oneshot::Sender<Result<AppendOutcome, StoreError>>,
    ),
    Snapshot(Snapshot, oneshot::Sender<Result<(), StoreError>>),
}

/// What a job wrote: an append's outcome, or nothing for a snapshot.
type Written = Result<Option<AppendOutcome>, StoreError>;

impl Job {
    /// Answers the caller, who may have given up waiting; what was written stands either way.
    fn answer(self, written: Written) {
        match self {
            Job::Append(_, reply) => {
                let outcome = written.and_then(|o| {
                    o.ok_or_else(|| StoreError::Backend("an append wrote nothing".into()))
                });
                let _ = reply.send(outcome);
            }
            Job::Snapshot(_, reply) => {
                let _ = reply.send(written.map(drop));
            }
        }
    }
}

/// Runs the writer until every sender is dropped.
pub(super) fn run(
    mut conn: Connection,
    jobs: mpsc::Receiver<Job>,
    head: watch::Sender<Position>,
    max_batch: usize,
    wal: &WalBound,
) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < max_batch {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let results = match write_batch(&mut conn, &batch) {
            Ok((results, new_head)) => {
                head.send_if_modified(|h| {
                    let moved = new_head > *h;
                    *h = (*h).max(new_head);
                    moved
                });
                results
            }
            Err(e) => {
                let message = e.to_string();
                let transient = sql_error(e).is_transient();
                batch
                    .iter()
                    .map(|_| {
                        Err(if transient {
                            StoreError::Unavailable(message.clone())
                        } else {
                            StoreError::Backend(message.clone())
                        })
                    })
                    .collect()
            }
        };
        for (job, result) in batch.into_iter().zip(results) {
            job.answer(result);
        }
        // Between batches the writer holds no lock, so a truncation cannot be kept out.
        wal.truncate_if_large(&conn, "writer");
    }
}

type BatchResult = (Vec<Written>, Position);

fn write_batch(conn: &mut Connection, batch: &[Job]) -> rusqlite::Result<BatchResult> {
    let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let last: Option<(Position, String)> = tx
        .query_row(
            "SELECT position, recorded_at FROM events ORDER BY position DESC LIMIT 1",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    let (mut head, last_time) = match last {
        Some((position, time)) => (position, Some(time)),
        None => (0, None),
    };
    // Commit times never go backwards along the log, even if the wall clock does.
    let now = Utc::now();
    let recorded_at = format_time(
        last_time
            .as_deref()
            .and_then(parse_time)
            .map_or(now, |t| t.max(now)),
    );
    let mut results = Vec::with_capacity(batch.len());
    for job in batch {
        let append = match job {
            Job::Append(append, _) => append,
            Job::Snapshot(snapshot, _) => {
                // In a savepoint of its own: a snapshot that cannot be written fails alone,
                // never the appends it shares the transaction with.
                let savepoint = tx.savepoint()?;
                match save_snapshot(&savepoint, snapshot, &recorded_at) {
                    Ok(()) => {
                        savepoint.commit()?;
                        results.push(Ok(None));
                    }
                    Err(e) => results.push(Err(sql_error(e))),
                }
                continue;
            }
        };
        let savepoint = tx.savepoint()?;
        match append_one(&savepoint, append, head, &recorded_at)? {
            Ok(outcome) => {
                savepoint.commit()?;
                head = head.max(outcome.last_position);
                results.push(Ok(Some(outcome)));
            }
            // Dropping the savepoint rolls back whatever this append wrote.
            Err(refusal) => results.push(Err(refusal)),
        }
    }
    tx.commit()?;
    Ok((results, head))
}

/// Appends one request. The outer error is a failure of the database; the inner one a
/// refusal of this request alone.
fn append_one(
    conn: &Connection,
    append: &PreparedAppend,
    head: Position,
    recorded_at: &str,
) -> rusqlite::Result<Result<AppendOutcome, StoreError>> {
    if let Some(command_id) = append.command_id
        && let Some(first) = command_outcome(conn, command_id)?
    {
        if first.stream != append.stream {
            return Ok(Err(StoreError::CommandReused {
                command_id,
                stream: first.stream,
            }));
        }
        return Ok(Ok(first));
    }
    let (current, mut previous) = stream_head(conn, &append.stream)?;
    let ends_as_expected = match append.expected.last_event() {
        Some((version, event)) => event_at(conn, &append.stream, version)? == Some(event),
        None => true,
    };
    if !append.expected.accepts(current) || !ends_as_expected {
        return Ok(Err(StoreError::Conflict {
            stream: append.stream.clone(),
            expected: append.expected,
            current,
        }));
    }
    let mut insert = conn.prepare_cached(
        "INSERT INTO events (position, stream, version, event_id, event_type, schema_version,
                             payload, metadata, recorded_at, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    let mut version = current;
    let mut position = head;
    for event in &append.events {
        version += 1;
        position += 1;
        let link = hash::link(
            &previous,
            &LinkInput {
                stream: &append.stream,
                version,
                event_id: event.event_id,
                event_type: &event.event_type,
                schema_version: event.schema_version,
                payload: &event.payload,
                metadata: &append.metadata,
                recorded_at,
            },
        );
        let inserted = insert.execute(params![
            position,
            append.stream,
            version,
            event.event_id.as_bytes(),
            event.event_type,
            event.schema_version,
            event.payload,
            append.metadata,
            recorded_at,
            link,
        ]);
        match inserted {
            Ok(_) => previous = link,
            Err(e) if is_unique_violation(&e) => {
                return Ok(Err(StoreError::DuplicateEvent(event.event_id)));
            }
            Err(e) => return Err(e),
        }
    }
    conn.prepare_cached(
        "INSERT INTO streams (stream, version, hash) VALUES (?1, ?2, ?3)
         ON CONFLICT (stream) DO UPDATE SET version = excluded.version, hash = excluded.hash",
    )?
    .execute(params![append.stream, version, previous])?;
    let outcome = AppendOutcome {
        stream: append.stream.clone(),
        first_version: current + 1,
        last_version: version,
        first_position: head + 1,
        last_position: position,
        deduplicated: false,
        recorded_at: parse_time(recorded_at),
    };
    if let Some(command_id) = append.command_id {
        conn.prepare_cached(
            "INSERT INTO commands (command_id, stream, first_version, last_version,
                                   first_position, last_position)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            command_id.to_string(),
            outcome.stream,
            outcome.first_version,
            outcome.last_version,
            outcome.first_position,
            outcome.last_position,
        ])?;
    }
    Ok(Ok(outcome))
}

/// Keeps `snapshot` as its stream's latest, with the position and link of the stream's event
/// at its version; nothing when there is no such event, or when a later snapshot of the same
/// layout is kept already.
fn save_snapshot(conn: &Connection, snapshot: &Snapshot, taken_at: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO snapshots (stream, version, position, hash, state_version, state, taken_at)
         SELECT stream, version, position, hash, ?3, ?4, ?5 FROM events
         WHERE stream = ?1 AND version = ?2
         ON CONFLICT (stream) DO UPDATE SET version = excluded.version,
             position = excluded.position, hash = excluded.hash,
             state_version = excluded.state_version, state = excluded.state,
             taken_at = excluded.taken_at
         WHERE excluded.version >= snapshots.version
            OR excluded.state_version <> snapshots.state_version",
    )?
    .execute(params![
        snapshot.stream,
        snapshot.version,
        snapshot.state_version,
        snapshot.state,
        taken_at
    ])?;
    Ok(())
}

/// A stream's version and last link (0 and the genesis link when it does not exist).
fn stream_head(conn: &Connection, stream: &str) -> rusqlite::Result<(Version, [u8; 32])> {
    let row: Option<(Version, [u8; 32])> = conn
        .prepare_cached("SELECT version, hash FROM streams WHERE stream = ?1")?
        .query_row([stream], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    Ok(row.unwrap_or((0, GENESIS)))
}

/// The stored outcome of a command id.
pub(super) fn command_outcome(
    conn: &Connection,
    command_id: Uuid,
) -> rusqlite::Result<Option<AppendOutcome>> {
    conn.prepare_cached(
        "SELECT stream, first_version, last_version, first_position, last_position
         FROM commands WHERE command_id = ?1",
    )?
    .query_row([command_id.to_string()], |row| {
        Ok(AppendOutcome {
            stream: row.get(0)?,
            first_version: row.get(1)?,
            last_version: row.get(2)?,
            first_position: row.get(3)?,
            last_position: row.get(4)?,
            deduplicated: true,
            recorded_at: None,
        })
    })
    .optional()
}

fn is_unique_violation(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(e, _)
            if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
    )
}

/// The id of a stream's event at `version`, if it has one.
fn event_at(conn: &Connection, stream: &str, version: Version) -> rusqlite::Result<Option<Uuid>> {
    conn.prepare_cached("SELECT event_id FROM events WHERE stream = ?1 AND version = ?2")?
        .query_row(params![stream, version], |row| row.get::<_, Vec<u8>>(0))
        .optional()
        .map(|id| id.and_then(|bytes| Uuid::from_slice(&bytes).ok()))
}
