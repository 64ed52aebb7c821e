//! Skipping a poison event. A skip is itself an event in the log (`ProjectionEventSkipped` on
//! the stream `projection-<name>`), naming who skipped what and why, so the read model's gap
//! stays auditable and every future rebuild skips the same event.

use infra::event_store::{
    AppendRequest, EventMetadata, EventStore, ExpectedVersion, NewEvent, Position, StoreError,
};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use uuid::Uuid;

/// The type of skip events.
pub const SKIPPED: &str = "ProjectionEventSkipped";

/// Namespace of skip command ids: one skip per projection and position.
const NAMESPACE: Uuid = Uuid::from_u128(0x8b1f_3c2e_57a4_4d0b_a6e9_0f4c_2d71_b935);

/// The stream of a projection's skips.
pub fn stream(name: &str) -> String {
    format!("projection-{name}")
}

/// What a skip records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// The projection.
    pub projection: String,
    /// The event's position.
    pub position: Position,
    /// The event's type.
    pub event_type: String,
    /// The error it caused.
    pub error: String,
    /// Why the operator skipped it.
    pub reason: String,
}

/// Appends the skip; a repeated skip of the same position appends nothing.
pub async fn record(events: &dyn EventStore, skip: &Skipped, who: &str) -> Result<(), StoreError> {
    let mut metadata = EventMetadata::new(chrono::Utc::now());
    metadata.user_id = Some(who.to_owned());
    let id = Uuid::new_v5(
        &NAMESPACE,
        format!("{}:{}", skip.projection, skip.position).as_bytes(),
    );
    metadata.command_id = Some(id);
    let payload = serde_json::to_value(skip).map_err(|e| StoreError::Backend(e.to_string()))?;
    let mut event = NewEvent::new(SKIPPED, 1, payload);
    event.event_id = id;
    events
        .append(AppendRequest {
            stream: stream(&skip.projection),
            expected: ExpectedVersion::Any,
            events: vec![event],
            metadata,
        })
        .await
        .map(drop)
}

/// The positions skipped for the projection `name`.
pub async fn skipped(events: &dyn EventStore, name: &str) -> Result<HashSet<Position>, StoreError> {
    Ok(events
        .read_stream(&stream(name), 1)
        .await?
        .into_iter()
        .filter(|e| e.event_type == SKIPPED)
        .filter_map(|e| serde_json::from_value::<Skipped>(e.payload).ok())
        .map(|s| s.position)
        .collect())
}
