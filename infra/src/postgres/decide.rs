//! Deciding a batch in memory, once the stored facts are loaded: each append is
//! deduplicated (its command id was stored, or appeared earlier in the batch), refused (stale
//! expected version or last event, reused command id, duplicate event id) or written at
//! which versions.

use crate::event_store::prepared::PreparedAppend;
use crate::event_store::{AppendOutcome, StoreError, Version};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// What the batch does with one append.
pub(super) enum Decision {
    /// Write it, its first event at this version.
    Write { first_version: Version },
    /// Refuse it.
    Refused(StoreError),
    /// Answer what its command stored before.
    Stored(AppendOutcome),
    /// Answer what the batch's append at this index writes.
    SameAs(usize),
}

/// Decides each append in order, seeing the effect of the ones before it.
pub(super) fn decide(
    batch: &[&PreparedAppend],
    stored: &HashMap<Uuid, AppendOutcome>,
    heads: &HashMap<String, (Version, [u8; 32])>,
    ends: &HashMap<String, Uuid>,
    mut taken: HashSet<Uuid>,
) -> Vec<Decision> {
    let mut versions: HashMap<&str, Version> = HashMap::new();
    // The last event each stream was given in this batch (beside `versions`).
    let mut last_events: HashMap<&str, Uuid> = HashMap::new();
    let mut commands: HashMap<Uuid, usize> = HashMap::new();
    let mut decisions = Vec::with_capacity(batch.len());
    for (i, append) in batch.iter().enumerate() {
        let stream = append.stream.as_str();
        if let Some(command_id) = append.command_id {
            let first_stream = match (stored.get(&command_id), commands.get(&command_id)) {
                (Some(first), _) => Some((first.stream.as_str(), Decision::Stored(first.clone()))),
                (None, Some(&j)) => Some((batch[j].stream.as_str(), Decision::SameAs(j))),
                (None, None) => None,
            };
            if let Some((first_stream, decision)) = first_stream {
                decisions.push(if first_stream == stream {
                    decision
                } else {
                    Decision::Refused(StoreError::CommandReused {
                        command_id,
                        stream: first_stream.to_owned(),
                    })
                });
                continue;
            }
        }
        let current = versions
            .get(stream)
            .copied()
            .unwrap_or_else(|| heads.get(stream).map_or(0, |h| h.0));
        let end = last_events
            .get(stream)
            .or_else(|| ends.get(stream))
            .copied();
        let ends_as_expected = append
            .expected
            .last_event()
            .is_none_or(|(_, event)| end == Some(event));
        if !append.expected.accepts(current) || !ends_as_expected {
            decisions.push(Decision::Refused(StoreError::Conflict {
                stream: append.stream.clone(),
                expected: append.expected,
                current,
            }));
            continue;
        }
        let mut mine = HashSet::new();
        let duplicate = append
            .events
            .iter()
            .find(|e| taken.contains(&e.event_id) || !mine.insert(e.event_id));
        if let Some(event) = duplicate {
            decisions.push(Decision::Refused(StoreError::DuplicateEvent(
                event.event_id,
            )));
            continue;
        }
        taken.extend(mine);
        versions.insert(stream, current + append.events.len() as Version);
        if let Some(last) = append.events.last() {
            last_events.insert(stream, last.event_id);
        }
        if let Some(command_id) = append.command_id {
            commands.insert(command_id, i);
        }
        decisions.push(Decision::Write {
            first_version: current + 1,
        });
    }
    decisions
}

/// Answers in batch order, given the outcomes of the written appends (in batch order).
pub(super) fn answers(
    decisions: Vec<Decision>,
    written: &[(usize, AppendOutcome)],
) -> Vec<Result<AppendOutcome, StoreError>> {
    let outcome_of = |i: usize| {
        written
            .iter()
            .find(|(j, _)| *j == i)
            .map(|(_, o)| o.clone())
    };
    decisions
        .into_iter()
        .enumerate()
        .map(|(i, decision)| match decision {
            Decision::Write { .. } => outcome_of(i)
                .ok_or_else(|| StoreError::Backend("an accepted append was not written".into())),
            Decision::Refused(error) => Err(error),
            Decision::Stored(outcome) => Ok(AppendOutcome {
                deduplicated: true,
                ..outcome
            }),
            Decision::SameAs(j) => outcome_of(j)
                .map(|o| AppendOutcome {
                    deduplicated: true,
                    ..o
                })
                .ok_or_else(|| StoreError::Backend("a retried command was not written".into())),
        })
        .collect()
}
