//! The long-running loop of a projector: take the lease, follow the log, renew the lease, and
//! stop when told. A live projector also follows version switches (a finished rebuild) and,
//! when an event cannot be applied, parks: it records the event and its error for operators
//! and waits until they retry (the mark is cleared) or skip the event (a skip in the log).

use super::projector::{Projector, ProjectorError};
use crate::ops::skip;
use crate::ops::state::ParkedDoc;
use infra::event_store::Position;
use infra::read_store::lease;
use std::time::Duration;
use tokio::sync::watch;

/// Why [`Projector::follow`] returned.
enum Ended {
    /// Readers switched to another version.
    Switched,
    /// Another worker holds the lease now.
    LeaseLost,
    /// Told to stop.
    Stopped,
}

impl Projector {
    /// Runs until `stop` turns true: waits for the lease, then follows the log. Another
    /// worker holding the lease keeps this one on standby.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let renew_every = self.options.lease_ttl / 3;
        loop {
            let done = *stop.borrow();
            if done {
                break;
            }
            let worker = match &self.live {
                Some((versions, _)) => self
                    .clone()
                    .at_version(versions.version(self.projection.as_ref())),
                None => self.clone(),
            };
            let key = worker.key();
            match worker
                .read
                .acquire_lease(&key, &worker.owner, worker.options.lease_ttl)
                .await
            {
                Ok(true) => match worker.follow(&mut stop, renew_every).await {
                    // Readers moved on: follow the new version now, not after a nap.
                    Ok(Ended::Switched) => continue,
                    Ok(Ended::LeaseLost | Ended::Stopped) => {}
                    Err(ProjectorError::Poison {
                        position,
                        event_type,
                        message,
                    }) => {
                        tracing::error!(projection = %key, position, %event_type, %message, "parked");
                        worker.park(position, event_type, message, &mut stop).await;
                        continue;
                    }
                    Err(e) => {
                        tracing::warn!(projection = %key, error = %e, "projector failed; retrying")
                    }
                },
                Ok(false) => {}
                Err(e) => tracing::warn!(projection = %key, error = %e, "cannot take the lease"),
            }
            // A standby looks again soon, so it takes a dead worker's lease right after it expires.
            let retry = renew_every.min(std::time::Duration::from_millis(500));
            let _ = tokio::time::timeout(retry, stopped(&mut stop)).await;
        }
        let key = self.live.as_ref().map_or_else(
            || self.key(),
            |(versions, _)| versions.key(self.projection.as_ref()),
        );
        let _ = self.read.release_lease(&key, &self.owner).await;
    }

    /// Follows the log while the lease holds; says why it ended when stopped, when the lease
    /// is lost, or when readers switched to another version.
    async fn follow(
        &self,
        stop: &mut watch::Receiver<bool>,
        renew_every: Duration,
    ) -> Result<Ended, ProjectorError> {
        self.prepare().await?;
        let key = self.key();
        let checkpoint = self.read.checkpoint(&key).await?;
        self.positions.publish(&key, checkpoint);
        let mut log = self.subscription(checkpoint);
        let mut renew = tokio::time::interval(renew_every);
        renew.tick().await;
        let mut switched = self.live.as_ref().map(|(v, _)| v.watch());
        loop {
            tokio::select! {
                window = log.next_window() => {
                    let window = window?;
                    // The lease is renewed while a window is applied too (it may take longer
                    // than the lease on a slow store); once it is lost the work stops, even
                    // halfway: what it wrote is guarded per document, as after a crash.
                    let work = self.process(&window.events, window.up_to);
                    if lease::while_held(work, &mut renew, || self.renew(&key)).await?.is_none() {
                        return Ok(Ended::LeaseLost);
                    }
                }
                _ = renew.tick() => {
                    if !self.renew(&key).await? {
                        return Ok(Ended::LeaseLost);
                    }
                }
                () = changed(&mut switched) => {
                    if let Some((versions, _)) = &self.live
                        && versions.version(self.projection.as_ref()) != self.version
                    {
                        tracing::info!(projection = %key, "readers switched versions; following");
                        let _ = self.read.release_lease(&key, &self.owner).await;
                        return Ok(Ended::Switched);
                    }
                }
                () = stopped(stop) => return Ok(Ended::Stopped),
            }
        }
    }

    /// Renews the lease; false when another worker holds it now, or when the store took
    /// longer than a third of the lease to answer (the lease may have run out meanwhile).
    async fn renew(&self, key: &str) -> Result<bool, ProjectorError> {
        let ttl = self.options.lease_ttl;
        Ok(lease::renew(self.read.as_ref(), key, &self.owner, ttl).await?)
    }

    /// Waits, parked at `position`, until an operator retries or skips it, or until stopped.
    async fn park(
        &self,
        position: Position,
        event_type: String,
        error: String,
        stop: &mut watch::Receiver<bool>,
    ) {
        let key = self.key();
        let name = self.projection.name();
        let mut recorded = false;
        loop {
            if let Some((_, ops)) = &self.live {
                if !recorded {
                    let doc = ParkedDoc {
                        position,
                        event_type: event_type.clone(),
                        error: error.clone(),
                        at: chrono::Utc::now().to_rfc3339(),
                    };
                    recorded = ops.park(&key, &doc).await.is_ok();
                } else if matches!(ops.parked(&key).await, Ok(None)) {
                    tracing::info!(projection = %key, position, "retrying a parked event");
                    return;
                }
            }
            if let Ok(skipped) = skip::skipped(self.events.as_ref(), name).await
                && skipped.contains(&position)
            {
                if let Some((_, ops)) = &self.live {
                    let _ = ops.unpark(&key).await;
                }
                return;
            }
            // Keep the lease while parked, so no other worker takes the poison event on.
            let _ = (self.read)
                .acquire_lease(&key, &self.owner, self.options.lease_ttl)
                .await;
            let nap = self.options.poll.min(self.options.lease_ttl / 3);
            if tokio::time::timeout(nap, stopped(stop)).await.is_ok() {
                return;
            }
        }
    }
}

/// Completes once `stop` turns true (or its sender is gone).
pub(super) async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// Completes when the version registry changes; never when there is none.
async fn changed(watch: &mut Option<watch::Receiver<u64>>) {
    match watch {
        Some(w) => {
            if w.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
        None => std::future::pending().await,
    }
}
