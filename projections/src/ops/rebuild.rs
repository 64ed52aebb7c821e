//! Blue/green rebuilds. Version N+1 is built beside the live version N from position 0 while
//! queries keep reading N; once N+1 has caught up with the head (and with N), readers switch
//! to it at once and N is dropped after a grace period. The building version is recorded
//! first, so an interrupted rebuild resumes from its own checkpoint.

use super::OpsError;
use super::state::{OpsState, ParkedDoc, VersionDoc};
use crate::runtime::{
    Options, Positions, Projection, Projector, ProjectorError, Versions, specs_at,
};
use infra::event_store::{EventStore, Position};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// What a rebuild will do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// The live version.
    pub from: u32,
    /// The version being built.
    pub to: u32,
    /// Where the build starts (above 0: an interrupted rebuild resumes).
    pub start: Position,
}

/// How far a rebuild has come.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// The version being built.
    pub version: u32,
    /// Its position.
    pub position: Position,
    /// The head of the log when last looked at.
    pub head: Position,
    /// Log positions per second since this run started.
    pub per_second: f64,
    /// The time left at that pace, if it can be told.
    pub eta: Option<Duration>,
}

/// How a rebuild ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Readers use the new version; the old one was dropped.
    Switched {
        /// The old version.
        from: u32,
        /// The new version.
        to: u32,
        /// The new version's position at the switch.
        position: Position,
    },
    /// Stopped before the switch; running the rebuild again resumes here.
    Interrupted {
        /// The version being built.
        version: u32,
        /// Its position.
        position: Position,
    },
}

/// A rebuild of one projection.
pub struct Rebuild {
    projection: Arc<dyn Projection>,
    events: Arc<dyn EventStore>,
    ops: OpsState,
    /// This process's registry, switched at once; other processes follow the read store.
    pub versions: Option<Versions>,
    /// Where this process publishes positions (for read-your-writes after the switch).
    pub positions: Positions,
    owner: String,
    /// Batch size and lease length.
    pub options: Options,
    /// How long the old version stays after the switch, for readers and workers of other
    /// processes to notice it.
    pub grace: Duration,
}

impl Rebuild {
    /// A rebuild of `projection` by `owner` (named in the lease).
    pub fn new(
        projection: Arc<dyn Projection>,
        events: Arc<dyn EventStore>,
        ops: OpsState,
        owner: impl Into<String>,
    ) -> Self {
        Self {
            projection,
            events,
            ops,
            versions: None,
            positions: Positions::default(),
            owner: owner.into(),
            options: Options::default(),
            grace: Duration::from_secs(5),
        }
    }

    fn key(&self, version: u32) -> String {
        format!("{}_v{version}", self.projection.name())
    }

    /// Records the version to build (or finds the interrupted one) and takes its lease, so a
    /// second rebuild of the same projection is refused while this one runs.
    pub async fn plan(&self) -> Result<Plan, OpsError> {
        let name = self.projection.name().to_owned();
        let doc = (self.ops)
            .versions_of(std::slice::from_ref(&name))
            .await?
            .remove(&name)
            .unwrap_or_default();
        let from = doc.active.max(self.projection.version());
        let to = doc.building.unwrap_or(from + 1);
        let read = self.ops.read();
        if !read
            .acquire_lease(&self.key(to), &self.owner, self.options.lease_ttl)
            .await?
        {
            return Err(OpsError::Busy(format!(
                "a rebuild of {name} (version {to}) is already running"
            )));
        }
        if doc.building != Some(to) || doc.active != from {
            let building = VersionDoc {
                active: from,
                building: Some(to),
            };
            self.ops.set_versions(&name, building).await?;
        }
        let start = read.checkpoint(&self.key(to)).await?;
        Ok(Plan { from, to, start })
    }

    /// Builds `plan.to` up to the head, switches readers and drops `plan.from`; or stops
    /// early when `stop` turns true.
    pub async fn run(
        &self,
        plan: Plan,
        mut progress: impl FnMut(&Progress),
        stop: watch::Receiver<bool>,
    ) -> Result<Outcome, OpsError> {
        let read = self.ops.read().clone();
        let key = self.key(plan.to);
        let builder = Projector::new(
            self.projection.clone(),
            self.events.clone(),
            read.clone(),
            self.positions.clone(),
            self.owner.clone(),
            self.options,
        )
        .at_version(plan.to);
        builder.prepare().await?;
        let mut log = builder.subscription(plan.start);
        let started = Instant::now();
        let mut renewed = Instant::now();
        loop {
            if *stop.borrow() {
                read.release_lease(&key, &self.owner).await?;
                let position = log.position();
                return Ok(Outcome::Interrupted {
                    version: plan.to,
                    position,
                });
            }
            if renewed.elapsed() >= self.options.lease_ttl / 3 {
                read.acquire_lease(&key, &self.owner, self.options.lease_ttl)
                    .await?;
                renewed = Instant::now();
            }
            match log.try_next_window().await? {
                Some(window) => {
                    if let Err(e) = builder.process(&window.events, window.up_to).await {
                        return Err(self.parked(&key, e).await);
                    }
                    let head = self.events.head().await?;
                    progress(&pace(plan, log.position(), head, started));
                }
                None => {
                    // At the head: switch once the new version is not behind the live one,
                    // so no reader sees the model go back in time.
                    let live = read.checkpoint(&self.key(plan.from)).await?;
                    if log.position() >= live {
                        break;
                    }
                    tokio::time::sleep(self.options.poll.min(Duration::from_millis(50))).await;
                }
            }
        }
        let position = log.position();
        self.switch(plan, position).await?;
        Ok(Outcome::Switched {
            from: plan.from,
            to: plan.to,
            position,
        })
    }

    async fn switch(&self, plan: Plan, position: Position) -> Result<(), OpsError> {
        let name = self.projection.name();
        let active = VersionDoc {
            active: plan.to,
            building: None,
        };
        self.ops.set_versions(name, active).await?;
        self.positions.publish(&self.key(plan.to), position);
        // The live worker takes the new version over from here: free its lease first, so
        // a worker switching at once finds it free.
        let read = self.ops.read();
        read.release_lease(&self.key(plan.to), &self.owner).await?;
        if let Some(versions) = &self.versions {
            versions.set(name, plan.to);
        }
        tracing::info!(
            projection = name,
            from = plan.from,
            to = plan.to,
            position,
            "switched"
        );
        tokio::time::sleep(self.grace).await;
        for spec in specs_at(self.projection.as_ref(), plan.from) {
            read.drop_collection(&spec.name).await?;
        }
        self.ops.unpark(&self.key(plan.from)).await?;
        Ok(())
    }

    /// Records a poison event of the new version for operators, and gives the error back.
    async fn parked(&self, key: &str, error: ProjectorError) -> OpsError {
        if let ProjectorError::Poison {
            position,
            event_type,
            message,
        } = &error
        {
            let doc = ParkedDoc {
                position: *position,
                event_type: event_type.clone(),
                error: message.clone(),
                at: chrono::Utc::now().to_rfc3339(),
            };
            if let Err(e) = self.ops.park(key, &doc).await {
                tracing::warn!(error = %e, "cannot record the parked event");
            }
        }
        let _ = self.ops.read().release_lease(key, &self.owner).await;
        OpsError::Projector(error)
    }
}

fn pace(plan: Plan, position: Position, head: Position, started: Instant) -> Progress {
    let done = position.saturating_sub(plan.start) as f64;
    let elapsed = started.elapsed().as_secs_f64();
    let per_second = if elapsed > 0.0 { done / elapsed } else { 0.0 };
    let left = head.saturating_sub(position) as f64;
    let eta = (per_second > 0.0).then(|| Duration::from_secs_f64(left / per_second));
    Progress {
        version: plan.to,
        position,
        head,
        per_second,
        eta,
    }
}
