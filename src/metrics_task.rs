//! Projection figures for `/metrics`: a task that, every second, reads each projection's
//! status (the same figures as `ecommerce projections status`, from the stores, so it also
//! sees projectors of other processes) and sets its gauges (`ecommerce_projection_position`,
//! `_lag_events`, `_lag_seconds`, `_parked`) through [`infra::metrics::Metrics::projection`].
//! The checkout process follows the log the same way; its figures go under
//! `projection="checkout"`.

use infra::event_store::EventStore;
use projections::ops::state::OpsState;
use projections::ops::status::{lag_seconds, status};
use projections::runtime::Projection;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How often the gauges are refreshed.
pub const INTERVAL: Duration = Duration::from_secs(1);

/// What the task reads.
#[derive(Clone)]
pub struct Sources {
    /// The log, for its head and the time of the oldest unapplied event.
    pub events: Arc<dyn EventStore>,
    /// The projections' operational state (versions, parked events) in the read store.
    pub ops: OpsState,
    /// The projections to report.
    pub projections: Vec<Arc<dyn Projection>>,
}

/// Refreshes the gauges every [`INTERVAL`] until `stop` turns true.
pub fn spawn(sources: Sources, mut stop: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(INTERVAL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => sample(&sources).await,
                changed = stop.changed() => {
                    if changed.is_err() || *stop.borrow() {
                        return;
                    }
                }
            }
        }
    })
}

/// Sets every projection's gauges once. A store that does not answer leaves the gauges as
/// they were (and is logged at debug level: readiness reports it).
pub async fn sample(sources: &Sources) {
    let all = match status(&sources.ops, sources.events.as_ref(), &sources.projections).await {
        Ok(all) => all,
        Err(e) => {
            tracing::debug!(error = %e, "projection metrics: no status");
            return;
        }
    };
    let metrics = infra::metrics::global();
    for s in all {
        let parked = u64::from(s.parked.is_some())
            + u64::from(s.rebuild.is_some_and(|r| r.parked.is_some()));
        metrics
            .projection(&s.name)
            .set(s.position, s.lag_events, s.lag_seconds, parked);
    }
    if let Err(e) = checkout(sources).await {
        tracing::debug!(error = %e, "checkout metrics: no status");
    }
}

/// Sets the checkout process's gauges from its checkpoint (it parks nothing).
async fn checkout(sources: &Sources) -> Result<(), projections::ops::OpsError> {
    let read = sources.ops.read();
    let position = read.checkpoint(command_services::checkout::KEY).await?;
    let head = sources.events.head().await?;
    let seconds = lag_seconds(sources.events.as_ref(), position, head).await?;
    infra::metrics::global().projection("checkout").set(
        position,
        head.saturating_sub(position),
        seconds,
        0,
    );
    Ok(())
}
