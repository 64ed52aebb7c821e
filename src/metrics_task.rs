//! Projection figures for `/metrics`: a task that, every second, reads where each
//! projection of this process stands and sets its gauges (`ecommerce_projection_position`,
//! `_lag_events`, `_lag_seconds`, `_parked`) through [`infra::metrics::Metrics::projection`].
//!
//! A first wiring from outside the projector runtime: it reads the stored checkpoints, so it
//! also sees projectors of other processes that share the read store. The projection status
//! code can set the same gauges itself and replace this task.

use chrono::Utc;
use infra::event_store::{EventStore, Position};
use infra::read_store::ReadStore;
use projections::runtime::{Positions, Projection, Versions};
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
    /// The read store, for checkpoints.
    pub read: Arc<dyn ReadStore>,
    /// Parked projections of this process.
    pub positions: Positions,
    /// The active version of each projection (its checkpoint key).
    pub versions: Versions,
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
    let head = match sources.events.head().await {
        Ok(head) => head,
        Err(e) => {
            tracing::debug!(error = %e, "projection metrics: no log head");
            return;
        }
    };
    let metrics = infra::metrics::global();
    for projection in &sources.projections {
        let key = sources.versions.key(projection.as_ref());
        let position = match sources.read.checkpoint(&key).await {
            Ok(position) => position,
            Err(e) => {
                tracing::debug!(error = %e, %key, "projection metrics: no checkpoint");
                continue;
            }
        };
        let lag_events = head.saturating_sub(position);
        let lag_seconds = match lag_events {
            0 => 0.0,
            _ => oldest_unapplied_age(sources.events.as_ref(), position).await,
        };
        let parked = u64::from(sources.positions.parked(&key).is_some());
        metrics
            .projection(projection.name())
            .set(position, lag_events, lag_seconds, parked);
    }
}

/// Seconds since the first event after `position` was recorded (0 if it cannot be read).
async fn oldest_unapplied_age(events: &dyn EventStore, position: Position) -> f64 {
    match events.read_all(position, 1).await {
        Ok(next) => next.first().map_or(0.0, |event| {
            let age = Utc::now() - event.recorded_at;
            (age.num_milliseconds().max(0) as f64) / 1000.0
        }),
        Err(_) => 0.0,
    }
}
