//! The rows one batch inserts: hash links chained from each stream's last link, positions
//! from the head the batch took, written with one `UNNEST` statement per table.

use super::decide::Decision;
use crate::event_store::hash::{self, GENESIS};
use crate::event_store::prepared::PreparedAppend;
use crate::event_store::stored::{LinkInput, parse_time};
use crate::event_store::{AppendOutcome, Position, Version};
use sqlx::PgConnection;
use std::collections::HashMap;
use uuid::Uuid;

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The rows a batch inserts, as columns for `UNNEST`.
#[derive(Default)]
pub(super) struct Rows {
    position: Vec<i64>,
    stream: Vec<String>,
    version: Vec<i64>,
    event_id: Vec<Uuid>,
    event_type: Vec<String>,
    schema_version: Vec<i32>,
    payload: Vec<String>,
    metadata: Vec<String>,
    hash: Vec<Vec<u8>>,
    heads: HashMap<String, (Version, [u8; 32])>,
    commands: Vec<(Uuid, usize)>,
    /// What each written append (by batch index) wrote.
    pub(super) outcomes: Vec<(usize, AppendOutcome)>,
}

impl Rows {
    /// Chains and numbers the events of the appends decided `Write`.
    pub(super) fn build(
        batch: &[&PreparedAppend],
        decisions: &[Decision],
        heads: &HashMap<String, (Version, [u8; 32])>,
        first_position: Position,
        recorded_at: &str,
    ) -> Self {
        let mut rows = Rows::default();
        let mut position = first_position;
        for (i, (append, decision)) in batch.iter().zip(decisions).enumerate() {
            let Decision::Write { first_version } = decision else {
                continue;
            };
            let mut previous = rows
                .heads
                .get(&append.stream)
                .or_else(|| heads.get(&append.stream))
                .map_or(GENESIS, |h| h.1);
            for (k, event) in append.events.iter().enumerate() {
                let version = first_version + k as Version;
                previous = hash::link(
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
                rows.position.push(to_i64(position + k as Position));
                rows.stream.push(append.stream.clone());
                rows.version.push(to_i64(version));
                rows.event_id.push(event.event_id);
                rows.event_type.push(event.event_type.clone());
                rows.schema_version
                    .push(i32::try_from(event.schema_version).unwrap_or(i32::MAX));
                rows.payload.push(event.payload.clone());
                rows.metadata.push(append.metadata.clone());
                rows.hash.push(previous.to_vec());
            }
            let n = append.events.len() as u64;
            let last_version = first_version + n - 1;
            rows.heads
                .insert(append.stream.clone(), (last_version, previous));
            rows.outcomes.push((
                i,
                AppendOutcome {
                    stream: append.stream.clone(),
                    first_version: *first_version,
                    last_version,
                    first_position: position,
                    last_position: position + n - 1,
                    deduplicated: false,
                    recorded_at: parse_time(recorded_at),
                },
            ));
            if let Some(command_id) = append.command_id {
                rows.commands.push((command_id, rows.outcomes.len() - 1));
            }
            position += n;
        }
        rows
    }

    /// Inserts the events, stream heads and idempotency records.
    pub(super) async fn insert(
        &self,
        conn: &mut PgConnection,
        recorded_at: &str,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO events (position, stream, version, event_id, event_type, schema_version,
                                 payload, metadata, recorded_at, hash)
             SELECT p, s, v, i, t, sv, pl, m, $9, h
             FROM UNNEST($1::bigint[], $2::text[], $3::bigint[], $4::uuid[], $5::text[],
                         $6::int[], $7::text[], $8::text[], $10::bytea[])
                  AS r(p, s, v, i, t, sv, pl, m, h)",
        )
        .bind(&self.position)
        .bind(&self.stream)
        .bind(&self.version)
        .bind(&self.event_id)
        .bind(&self.event_type)
        .bind(&self.schema_version)
        .bind(&self.payload)
        .bind(&self.metadata)
        .bind(recorded_at)
        .bind(&self.hash)
        .execute(&mut *conn)
        .await?;
        let (names, heads): (Vec<&str>, Vec<&(Version, [u8; 32])>) =
            self.heads.iter().map(|(s, h)| (s.as_str(), h)).unzip();
        let versions: Vec<i64> = heads.iter().map(|h| to_i64(h.0)).collect();
        let hashes: Vec<Vec<u8>> = heads.iter().map(|h| h.1.to_vec()).collect();
        sqlx::query(
            "INSERT INTO streams (stream, version, hash)
             SELECT * FROM UNNEST($1::text[], $2::bigint[], $3::bytea[])
             ON CONFLICT (stream) DO UPDATE SET version = EXCLUDED.version, hash = EXCLUDED.hash",
        )
        .bind(names)
        .bind(versions)
        .bind(hashes)
        .execute(&mut *conn)
        .await?;
        if self.commands.is_empty() {
            return Ok(());
        }
        let mut columns: (Vec<Uuid>, Vec<&str>, [Vec<i64>; 4]) = Default::default();
        for (command_id, k) in &self.commands {
            let o = &self.outcomes[*k].1;
            columns.0.push(*command_id);
            columns.1.push(&o.stream);
            for (column, value) in columns.2.iter_mut().zip([
                o.first_version,
                o.last_version,
                o.first_position,
                o.last_position,
            ]) {
                column.push(to_i64(value));
            }
        }
        let [first_version, last_version, first_position, last_position] = columns.2;
        sqlx::query(
            "INSERT INTO commands (command_id, stream, first_version, last_version,
                                   first_position, last_position)
             SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::bigint[], $4::bigint[],
                                  $5::bigint[], $6::bigint[])",
        )
        .bind(columns.0)
        .bind(columns.1)
        .bind(first_version)
        .bind(last_version)
        .bind(first_position)
        .bind(last_position)
        .execute(conn)
        .await?;
        Ok(())
    }
}
