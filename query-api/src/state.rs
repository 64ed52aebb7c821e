//! What every query handler shares: the read store and the versions it reads, the event log
//! (for audits), where the projections stand, the token verifier, and how long a
//! read-your-writes wait may take.

use crate::checkpoints::Checkpoints;
use infra::auth::Tokens;
use infra::event_store::EventStore;
use infra::read_store::ReadStore;
use projections::ops::state::OpsState;
use projections::runtime::{Positions, Versions};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// The shared state; cheap to clone.
#[derive(Clone)]
pub struct QueryState {
    /// The read models.
    pub read: Arc<dyn ReadStore>,
    /// Which version of each read model queries read; a rebuild switches it.
    pub versions: Versions,
    /// The event log, for the audit routes.
    pub events: Arc<dyn EventStore>,
    /// The projections' operational state (versions, parked events), for the admin routes.
    pub ops: OpsState,
    /// Positions published by the projectors of this process (empty when they run elsewhere:
    /// the read store's checkpoints then tell).
    pub positions: Positions,
    /// Token verification.
    pub tokens: Tokens,
    /// The longest a query waits for `X-Min-Position` before answering 504.
    pub max_wait: Duration,
    /// Places for queries waiting for `X-Min-Position`; a query that finds none answers 503.
    pub waits: Arc<Semaphore>,
    /// The checkpoints awaited now (read into `positions` by [`crate::checkpoints`]).
    pub checkpoints: Checkpoints,
}
