//! Operating the projections, from the CLI or the admin API, across processes: everything here
//! goes through the stores, never through one process's memory.
//!
//! - [`state`]: active and building versions, parked events (in the read store);
//! - [`status`]: position, lag and state of each projection;
//! - [`rebuild`]: blue/green rebuilds that resume after an interruption;
//! - [`skip`]: skipping a poison event, recorded in the log;
//! - [`retry`] and [`skip_parked`] below: what an operator does about a parked projection.

pub mod rebuild;
pub mod skip;
pub mod state;
pub mod status;

use crate::runtime::{Projection, ProjectorError, Versions};
use infra::event_store::{EventStore, Position, StoreError};
use infra::read_store::ReadStoreError;
use state::{OpsState, ParkedDoc};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Why an operation failed.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    /// No projection has that name.
    #[error("no projection is named {0:?}")]
    Unknown(String),
    /// The operation does not apply now (nothing parked there, for example).
    #[error("{0}")]
    Refused(String),
    /// Another worker holds the lease the operation needs.
    #[error("{0}")]
    Busy(String),
    /// The event log failed.
    #[error(transparent)]
    Events(#[from] StoreError),
    /// The read store failed.
    #[error(transparent)]
    Read(#[from] ReadStoreError),
    /// Applying the log failed.
    #[error(transparent)]
    Projector(#[from] ProjectorError),
}

/// The projection named `name` among the shop's read models.
pub fn find(name: &str) -> Result<Arc<dyn Projection>, OpsError> {
    crate::models::all()
        .into_iter()
        .find(|p| p.name() == name)
        .ok_or_else(|| OpsError::Unknown(name.to_owned()))
}

/// The checkpoint keys of a projection's active and building versions, with their parked
/// marks.
async fn parked_keys(
    ops: &OpsState,
    projection: &dyn Projection,
) -> Result<Vec<(String, ParkedDoc)>, OpsError> {
    let name = projection.name().to_owned();
    let doc = ops
        .versions_of(std::slice::from_ref(&name))
        .await?
        .remove(&name)
        .unwrap_or_default();
    let active = doc.active.max(projection.version());
    let mut parked = Vec::new();
    for version in std::iter::once(active).chain(doc.building) {
        let key = format!("{name}_v{version}");
        if let Some(doc) = ops.parked(&key).await? {
            parked.push((key, doc));
        }
    }
    Ok(parked)
}

/// Clears the parked marks of `name`: its worker tries the event again (and parks again if
/// it still fails). Answers the positions it was parked at.
pub async fn retry(ops: &OpsState, name: &str) -> Result<Vec<Position>, OpsError> {
    let projection = find(name)?;
    let parked = parked_keys(ops, projection.as_ref()).await?;
    if parked.is_empty() {
        return Err(OpsError::Refused(format!("{name} is not parked")));
    }
    for (key, _) in &parked {
        ops.unpark(key).await?;
    }
    Ok(parked.iter().map(|(_, p)| p.position).collect())
}

/// Skips the event `name` is parked at, recording in the log who skipped it and why. Only a
/// parked position may be skipped, so a typo cannot hide a healthy event.
pub async fn skip_parked(
    ops: &OpsState,
    events: &dyn EventStore,
    name: &str,
    position: Position,
    reason: &str,
    who: &str,
) -> Result<(), OpsError> {
    let projection = find(name)?;
    if reason.trim().is_empty() {
        return Err(OpsError::Refused("say why the event is skipped".into()));
    }
    let parked = parked_keys(ops, projection.as_ref()).await?;
    let Some((_, at)) = parked.iter().find(|(_, p)| p.position == position) else {
        let at: Vec<String> = parked.iter().map(|(_, p)| p.position.to_string()).collect();
        return Err(OpsError::Refused(format!(
            "{name} is not parked at position {position} (parked at: {})",
            if at.is_empty() {
                "none".into()
            } else {
                at.join(", ")
            }
        )));
    };
    let skip = skip::Skipped {
        projection: name.to_owned(),
        position,
        event_type: at.event_type.clone(),
        error: at.error.clone(),
        reason: reason.trim().to_owned(),
    };
    skip::record(events, &skip, who).await?;
    for (key, p) in &parked {
        if p.position == position {
            ops.unpark(key).await?;
        }
    }
    Ok(())
}

/// Sets `versions` to the versions recorded in the read store.
pub async fn load_versions(ops: &OpsState, versions: &Versions) -> Result<(), OpsError> {
    for (name, doc) in ops.versions().await? {
        if doc.active > 0 {
            versions.set(&name, doc.active);
        }
    }
    Ok(())
}

/// Keeps `versions` in step with the versions recorded in the read store, so a rebuild
/// finished by another process switches this one's readers and workers too.
pub async fn follow_versions(
    ops: OpsState,
    versions: Versions,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        if let Err(e) = load_versions(&ops, &versions).await {
            tracing::warn!(error = %e, "cannot read the projection versions");
        }
        if tokio::time::timeout(every, stop.wait_for(|s| *s))
            .await
            .is_ok()
        {
            return;
        }
    }
}
