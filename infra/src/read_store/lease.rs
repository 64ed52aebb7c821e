//! Working under a lease, as the projector workers and the checkout process do: a renewal
//! that gives up before a standby could take the lease over, and work that stops halfway
//! once a renewal finds the lease lost.

use super::{ReadStore, ReadStoreError};
use std::future::Future;
use std::time::Duration;
use tokio::time::Interval;

/// Renews `owner`'s lease on `key` for `ttl`. False when another owner holds it now, or when
/// the store took longer than a third of the lease to answer: the holder steps back before
/// a standby could take the lease, so two never work at once.
pub async fn renew(
    read: &dyn ReadStore,
    key: &str,
    owner: &str,
    ttl: Duration,
) -> Result<bool, ReadStoreError> {
    match tokio::time::timeout(ttl / 3, read.acquire_lease(key, owner, ttl)).await {
        Ok(held) => {
            let held = held?;
            if !held {
                tracing::warn!(lease = %key, "lost the lease");
            }
            Ok(held)
        }
        Err(_) => {
            tracing::warn!(lease = %key, "renewing the lease took too long; stepping back");
            Ok(false)
        }
    }
}

/// Runs `work` to its end while renewing the lease (`renew`) at each tick of `ticks`; `None`
/// when a renewal found the lease lost, and the work was dropped where it stood.
pub async fn while_held<T, E, R, F>(
    work: impl Future<Output = Result<T, E>>,
    ticks: &mut Interval,
    mut renew: R,
) -> Result<Option<T>, E>
where
    R: FnMut() -> F,
    F: Future<Output = Result<bool, E>>,
{
    tokio::pin!(work);
    loop {
        tokio::select! {
            done = &mut work => return done.map(Some),
            _ = ticks.tick() => {
                if !renew().await? {
                    return Ok(None);
                }
            }
        }
    }
}
