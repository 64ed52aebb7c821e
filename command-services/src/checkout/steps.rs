//! The vocabulary of the checkout flow: commands sent with deterministic ids derived from the
//! event that caused them (so a replay after a crash appends nothing new), the ids of the
//! payment and shipment of an order, and how failures are classified.

use crate::error::ApiError;
use crate::executor::{CommandMeta, Executor};
use cqrs_es::Aggregate;
use domain::Refusal;
use domain::order::CHECKOUT_NAMESPACE;
use infra::event_store::{EventMetadata, RecordedEvent};
use uuid::Uuid;

// The payment and shipment ids live in the domain, where audits find them too.
pub use domain::order::{payment_of, shipment_of};

/// Who the checkout process's events name as their user.
pub const ACTOR: &str = "system:checkout";

/// Why handling an event stopped.
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    /// A store or the provider is unavailable: handle the event again later.
    #[error("retry later: {0}")]
    Retry(String),
}

/// Metadata for the command `step` caused by `event`: its id is derived from both.
pub fn caused_by(event: &RecordedEvent, step: &str) -> CommandMeta {
    derived(
        event.metadata.correlation_id,
        Some(event.event_id),
        &format!("{}:{step}", event.event_id),
    )
}

/// Metadata for a command with an id derived from `name`.
pub fn derived(correlation_id: Uuid, causation_id: Option<Uuid>, name: &str) -> CommandMeta {
    let mut metadata = EventMetadata::new(chrono::Utc::now());
    metadata.correlation_id = correlation_id;
    metadata.causation_id = causation_id;
    metadata.user_id = Some(ACTOR.to_owned());
    metadata.command_id = Some(Uuid::new_v5(&CHECKOUT_NAMESPACE, name.as_bytes()));
    CommandMeta {
        metadata,
        expected: None,
        keyed: true,
    }
}

/// Runs a command: `Ok(None)` when applied (or already applied), `Ok(Some(why))` when a
/// business rule refused it, `Err` when it should be tried again later.
pub async fn send<A>(
    executor: &Executor<A>,
    meta: &CommandMeta,
    id: &str,
    command: A::Command,
) -> Result<Option<String>, FlowError>
where
    A: Aggregate<Services = ()> + domain::StateVersion + Clone,
    A::Command: Clone + std::fmt::Debug,
    A::Error: Refusal,
{
    match executor.execute(meta, id, command).await {
        Ok(_) => Ok(None),
        Err(ApiError::Refused { detail, .. }) => Ok(Some(detail)),
        Err(other) => Err(FlowError::Retry(other.to_string())),
    }
}

/// Loads an aggregate, or asks for a retry.
pub async fn load<A>(executor: &Executor<A>, id: &str) -> Result<A, FlowError>
where
    A: Aggregate<Services = ()> + domain::StateVersion + Clone,
    A::Command: Clone + std::fmt::Debug,
    A::Error: Refusal,
{
    executor
        .load(id)
        .await
        .map(|loaded| loaded.aggregate)
        .map_err(|e| FlowError::Retry(e.to_string()))
}
