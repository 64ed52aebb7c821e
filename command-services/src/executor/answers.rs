//! What a command run answers: the [`Outcome`] it reached, the [`CommandMeta`] it ran with,
//! the `outcome` label it is counted under, and [`precheck`] for creation commands.

use crate::error::ApiError;
use cqrs_es::Aggregate;
use domain::Refusal;
use infra::event_store::{EventMetadata, Position, Version};
use std::fmt::Debug;

/// What a command reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// The aggregate's version after the command.
    pub version: Version,
    /// The global position of its last event (the one just appended, if any).
    pub position: Position,
    /// True when this was a retried `Idempotency-Key`: the first run's answer, nothing new.
    pub replayed: bool,
}

/// How to run a command: its metadata (with the command id) and the client's `If-Match`.
#[derive(Debug, Clone)]
pub struct CommandMeta {
    /// Metadata stored with the events.
    pub metadata: EventMetadata,
    /// The version the client expects, if it sent `If-Match`.
    pub expected: Option<Version>,
    /// True when the command id comes from an `Idempotency-Key`.
    pub keyed: bool,
}

impl CommandMeta {
    /// Metadata for a command the system sends on its own (the command line, start-up),
    /// recording `actor` as its user.
    pub fn system(actor: &str) -> Self {
        let mut metadata = EventMetadata::new(chrono::Utc::now());
        metadata.user_id = Some(actor.to_owned());
        metadata.command_id = Some(uuid::Uuid::now_v7());
        Self {
            metadata,
            expected: None,
            keyed: false,
        }
    }
}

/// How a command run ended, beyond its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Done {
    /// Events were appended.
    Appended,
    /// The command was already satisfied: nothing to append.
    Unchanged,
    /// A retried `Idempotency-Key`: the first answer again.
    Replayed,
}

/// The outcome word of a command run, the `outcome` label of `ecommerce_commands_total`:
/// `ok` (events appended), `unchanged` (already satisfied), `replayed` (a retried
/// `Idempotency-Key`), `refused` (a business rule), `conflict` (a concurrent change won, or
/// `If-Match` did not match), `key_reused`, `unavailable` (a store), `invalid`, `forbidden`
/// or `error`.
pub(super) fn outcome(result: &Result<(Outcome, Done), ApiError>) -> &'static str {
    match result {
        Ok((_, Done::Appended)) => "ok",
        Ok((_, Done::Unchanged)) => "unchanged",
        Ok((_, Done::Replayed)) => "replayed",
        Err(error) => match error {
            ApiError::Refused { .. } | ApiError::NotFound(_) => "refused",
            ApiError::Conflict { .. } => "conflict",
            ApiError::KeyReused => "key_reused",
            ApiError::Unavailable(_)
            | ApiError::NotYet(_)
            | ApiError::Overloaded(_)
            | ApiError::TooManyRequests { .. } => "unavailable",
            ApiError::Malformed(_)
            | ApiError::Invalid(_)
            | ApiError::TooLarge
            | ApiError::UnsupportedMediaType => "invalid",
            ApiError::Unauthorized(_) | ApiError::Forbidden(_) => "forbidden",
            ApiError::MethodNotAllowed | ApiError::Internal(_) => "error",
        },
    }
}

/// Checks a creation command against a new aggregate, so that a refusal comes before any
/// preparatory append (such as claiming a unique value). A refusal here is counted in
/// `ecommerce_commands_total` like one from [`super::Executor::execute`].
pub fn precheck<A>(command: &<A as domain::Decider>::Command) -> Result<(), ApiError>
where
    A: domain::Decider + Aggregate,
    <A as domain::Decider>::Command: Clone + Debug,
    <A as domain::Decider>::Error: Refusal,
{
    A::default()
        .decide(command.clone())
        .map(drop)
        .map_err(|refusal| {
            let name = infra::metrics::command_name(command);
            infra::metrics::global().command(<A as Aggregate>::TYPE, &name, "refused");
            ApiError::Refused {
                kind: refusal.kind(),
                detail: refusal.to_string(),
            }
        })
}
