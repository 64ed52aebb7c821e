//! Where each projection stands: its active version, position, the head of the log, lag in
//! events and seconds, and its state, read from the stores so any process can answer.

use super::OpsError;
use super::state::{OpsState, ParkedDoc};
use crate::runtime::Projection;
use infra::event_store::{EventStore, Position};
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;

/// What a projection is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// A worker holds its lease and follows the log.
    Running,
    /// A rebuild is building its next version (the active one keeps serving).
    Rebuilding,
    /// Stopped at an event it cannot apply, until an operator retries or skips it.
    Parked,
    /// No worker holds its lease.
    Stopped,
}

/// A rebuild under way (or interrupted, to be resumed).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RebuildStatus {
    /// The version being built.
    pub version: u32,
    /// Its position.
    pub position: Position,
    /// Events it still has to read.
    pub lag_events: u64,
    /// Where it is parked, if it is.
    pub parked: Option<ParkedDoc>,
}

/// One projection's status.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProjectionStatus {
    /// Its name, such as `catalog`.
    pub name: String,
    /// The version readers use.
    pub version: u32,
    /// The position of the active version.
    pub position: Position,
    /// The head of the log.
    pub head: Position,
    /// Events behind the head.
    pub lag_events: u64,
    /// How long the oldest event it has not applied has waited, in seconds (0 when caught up).
    pub lag_seconds: f64,
    /// What it is doing.
    pub state: State,
    /// The event it is parked at, if any.
    pub parked: Option<ParkedDoc>,
    /// The rebuild of its next version, if any.
    pub rebuild: Option<RebuildStatus>,
    /// The worker holding its lease, if any.
    pub worker: Option<String>,
}

/// The status of each of `projections`.
pub async fn status(
    ops: &OpsState,
    events: &dyn EventStore,
    projections: &[Arc<dyn Projection>],
) -> Result<Vec<ProjectionStatus>, OpsError> {
    let names: Vec<String> = projections.iter().map(|p| p.name().to_owned()).collect();
    let versions = ops.versions_of(&names).await?;
    let head = events.head().await?;
    let read = ops.read();
    let mut all = Vec::with_capacity(projections.len());
    for projection in projections {
        let doc = versions.get(projection.name()).copied().unwrap_or_default();
        let version = doc.active.max(projection.version());
        let key = format!("{}_v{version}", projection.name());
        let position = read.checkpoint(&key).await?;
        let parked = ops.parked(&key).await?;
        let worker = read.lease_holder(&key).await?;
        let rebuild = match doc.building {
            Some(building) => {
                let key = format!("{}_v{building}", projection.name());
                let position = read.checkpoint(&key).await?;
                Some(RebuildStatus {
                    version: building,
                    position,
                    lag_events: head.saturating_sub(position),
                    parked: ops.parked(&key).await?,
                })
            }
            None => None,
        };
        let state = match (&parked, &rebuild, &worker) {
            (Some(_), _, _) => State::Parked,
            (None, Some(_), _) => State::Rebuilding,
            (None, None, Some(_)) => State::Running,
            (None, None, None) => State::Stopped,
        };
        all.push(ProjectionStatus {
            name: projection.name().to_owned(),
            version,
            position,
            head,
            lag_events: head.saturating_sub(position),
            lag_seconds: lag_seconds(events, position, head).await?,
            state,
            parked,
            rebuild,
            worker,
        });
    }
    Ok(all)
}

/// How long the first event after `position` has waited (0 when `position` is the head).
pub async fn lag_seconds(
    events: &dyn EventStore,
    position: Position,
    head: Position,
) -> Result<f64, OpsError> {
    if position >= head {
        return Ok(0.0);
    }
    let next = events.read_all(position, 1).await?;
    Ok(next.first().map_or(0.0, |e| {
        let waited = chrono::Utc::now() - e.recorded_at;
        (waited.num_milliseconds().max(0) as f64) / 1000.0
    }))
}
