//! Runs one command against one aggregate: replay a retried `Idempotency-Key`, load (from the
//! recently used states, bounded by count and size, when possible), decide, append with the expected version, and answer with the
//! version and global position reached.
//!
//! Commands to one aggregate take turns in a process ([`crate::turns`]): each is decided on
//! the state the previous one left, so they never conflict with each other. The cache is
//! only a shortcut, and so are the snapshots that loads start from
//! ([`infra::event_store::snapshots`]): every append carries the version the decision was
//! made on, so a state another process changed ends in a version conflict, and the command
//! is decided again on fresh state, after a jittered pause, until [`RETRY_BOUND`] has passed. A 409 is left only
//! for a client whose `If-Match` is stale, and for a race still lost after that bound.
//!
//! Every run is counted in `ecommerce_commands_total` by aggregate, command and outcome
//! (see [`outcome`]).

use crate::error::ApiError;
use crate::states::{MAX_BYTES, MAX_STATES, States};
use crate::turns::{Crowded, Turns};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, EventStore as _};
use domain::{Refusal, StateVersion};
use infra::event_store::aggregates::stream_name;
use infra::event_store::codec;
use infra::event_store::{
    AggregateStore, AppendOutcome, AppendRequest, EventMetadata, EventStore, ExpectedVersion,
    NewEvent, Position, StoreError, Version,
};
use std::fmt::Debug;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a command lost to other processes is decided again before it answers 409.
pub const RETRY_BOUND: Duration = Duration::from_secs(2);
/// The first pause before deciding again; it doubles, up to [`MAX_PAUSE`], with jitter.
const FIRST_PAUSE: Duration = Duration::from_millis(2);
const MAX_PAUSE: Duration = Duration::from_millis(100);

/// What a command reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// The aggregate's version after the command.
    pub version: Version,
    /// The global position of its last event (the one just appended, if any).
    pub position: Position,
    /// True when this was a retried `Idempotency-Key`: the first run's answer, nothing new.
    pub replayed: bool,
}

/// How to run a command: its metadata (with the command id) and the client's `If-Match`.
#[derive(Debug, Clone)]
pub struct CommandMeta {
    /// Metadata stored with the events.
    pub metadata: EventMetadata,
    /// The version the client expects, if it sent `If-Match`.
    pub expected: Option<Version>,
    /// True when the command id comes from an `Idempotency-Key`.
    pub keyed: bool,
}

/// An aggregate state with where it stands in the log.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Loaded<A> {
    /// The state.
    pub aggregate: A,
    /// Its version (0: does not exist).
    pub version: Version,
    /// The position of its last event.
    pub position: Position,
}

/// The command runner for aggregate `A`.
pub struct Executor<A: Aggregate> {
    store: Arc<dyn EventStore>,
    loader: AggregateStore<A>,
    cache: Mutex<States<Loaded<A>>>,
    turns: Turns,
}

/// How a command run ended, beyond its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Done {
    /// Events were appended.
    Appended,
    /// The command was already satisfied: nothing to append.
    Unchanged,
    /// A retried `Idempotency-Key`: the first answer again.
    Replayed,
}

/// The outcome word of a command run, the `outcome` label of `ecommerce_commands_total`:
/// `ok` (events appended), `unchanged` (already satisfied), `replayed` (a retried
/// `Idempotency-Key`), `refused` (a business rule), `conflict` (a concurrent change won, or
/// `If-Match` did not match), `key_reused`, `unavailable` (a store), `invalid`, `forbidden`
/// or `error`.
fn outcome(result: &Result<(Outcome, Done), ApiError>) -> &'static str {
    match result {
        Ok((_, Done::Appended)) => "ok",
        Ok((_, Done::Unchanged)) => "unchanged",
        Ok((_, Done::Replayed)) => "replayed",
        Err(error) => match error {
            ApiError::Refused { .. } | ApiError::NotFound(_) => "refused",
            ApiError::Conflict { .. } => "conflict",
            ApiError::KeyReused => "key_reused",
            ApiError::Unavailable(_)
            | ApiError::NotYet(_)
            | ApiError::Overloaded(_)
            | ApiError::TooManyRequests { .. } => "unavailable",
            ApiError::Malformed(_)
            | ApiError::Invalid(_)
            | ApiError::TooLarge
            | ApiError::UnsupportedMediaType => "invalid",
            ApiError::Unauthorized(_) | ApiError::Forbidden(_) => "forbidden",
            ApiError::MethodNotAllowed | ApiError::Internal(_) => "error",
        },
    }
}

impl<A> Executor<A>
where
    A: Aggregate<Services = ()> + StateVersion + Clone,
    A::Command: Clone + Debug,
    A::Error: Refusal,
{
    /// A runner on `store`.
    pub fn new(store: Arc<dyn EventStore>) -> Self {
        Self {
            loader: AggregateStore::new(store.clone()),
            store,
            cache: Mutex::new(States::new(MAX_STATES, MAX_BYTES)),
            turns: Turns::default(),
        }
    }

    fn cached(&self, id: &str) -> Option<Loaded<A>> {
        self.cache.lock().ok()?.get(id)
    }

    fn remember(&self, id: &str, loaded: Loaded<A>) {
        // Measured before the lock: it takes time proportional to the state.
        let size = crate::states::size_of(&loaded);
        if let Ok(mut cache) = self.cache.lock() {
            cache.put_sized(id, loaded, size);
        }
    }

    /// Drops a cached state (after a change this runner did not make).
    pub fn forget(&self, id: &str) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.pop(id);
        }
    }

    /// The log holds version `version` of aggregate `id`: a cached state older than that is
    /// dropped (another process changed it); one at that version (this runner's own append)
    /// stays.
    pub fn observe(&self, id: &str, version: Version) {
        if let Ok(mut cache) = self.cache.lock()
            && cache
                .peek(id)
                .is_some_and(|cached| cached.version < version)
        {
            cache.pop(id);
        }
    }

    /// The current state, read from the log.
    pub async fn load(&self, id: &str) -> Result<Loaded<A>, ApiError> {
        let loaded = self.loader.load_aggregate(id).await?;
        let loaded = Loaded {
            aggregate: loaded.aggregate,
            version: loaded.version,
            position: loaded.position,
        };
        self.remember(id, loaded.clone());
        Ok(loaded)
    }

    /// The state, from the cache when it holds it (possibly behind the log by a little).
    pub async fn load_cached(&self, id: &str) -> Result<Loaded<A>, ApiError> {
        Ok(self.load_any(id, false).await?.0)
    }

    /// Loads from the cache unless `fresh`; says whether the state came from the cache.
    async fn load_any(&self, id: &str, fresh: bool) -> Result<(Loaded<A>, bool), ApiError> {
        match self.cached(id).filter(|_| !fresh) {
            Some(loaded) => Ok((loaded, true)),
            None => Ok((self.load(id).await?, false)),
        }
    }

    /// Runs `command` on aggregate `id`, and counts the run.
    pub async fn execute(
        &self,
        meta: &CommandMeta,
        id: &str,
        command: A::Command,
    ) -> Result<Outcome, ApiError> {
        let name = infra::metrics::command_name(&command);
        let result = self.run(meta, id, command).await;
        infra::metrics::global().command(A::TYPE, &name, outcome(&result));
        result.map(|(reached, _)| reached)
    }

    async fn run(
        &self,
        meta: &CommandMeta,
        id: &str,
        command: A::Command,
    ) -> Result<(Outcome, Done), ApiError> {
        let stream = stream_name::<A>(id);
        if meta.keyed
            && let Some(command_id) = meta.metadata.command_id
            && let Some(first) = self.store.command_outcome(command_id).await?
        {
            return Ok((self.replay(meta, &stream, first).await?, Done::Replayed));
        }
        let _turn = self.turns.take(id).await.map_err(|Crowded| {
            ApiError::Overloaded("too many commands are waiting for this resource".into())
        })?;
        let deadline = Instant::now() + RETRY_BOUND;
        let mut pause = FIRST_PAUSE;
        let mut fresh = false;
        loop {
            let (loaded, from_cache) = self.load_any(id, fresh).await?;
            if let Some(expected) = meta.expected
                && expected != loaded.version
            {
                return Err(conflict(loaded.version));
            }
            let mut aggregate = loaded.aggregate;
            let sink = EventSink::default();
            if let Err(refusal) = aggregate.handle(command.clone(), &(), &sink).await {
                // A refusal decided on a cached state stands when the stream is still at the
                // cached version (one indexed read); otherwise it is decided again on fresh
                // state. A full reload for every refusal made refusals on a long stream cost
                // its whole history each (80 a second on a hot cart of 10,000 events).
                if !from_cache || self.store.stream_version(&stream).await? == loaded.version {
                    return Err(cqrs_es::AggregateError::UserError(refusal).into());
                }
                fresh = true;
                continue;
            }
            let events = sink.collect().await;
            if events.is_empty() {
                let reached = Outcome {
                    version: loaded.version,
                    position: loaded.position,
                    replayed: false,
                };
                return Ok((reached, Done::Unchanged));
            }
            let request = AppendRequest {
                stream: stream.clone(),
                expected: match loaded.version {
                    0 => ExpectedVersion::NoStream,
                    v => ExpectedVersion::Exact(v),
                },
                events: encode::<A>(&events)?,
                metadata: meta.metadata.clone(),
            };
            match self.store.append(request).await {
                Ok(outcome) if outcome.deduplicated => {
                    self.forget(id);
                    return Ok((self.replay(meta, &stream, outcome).await?, Done::Replayed));
                }
                Ok(outcome) => {
                    let reached = Outcome {
                        version: outcome.last_version,
                        position: outcome.last_position,
                        replayed: false,
                    };
                    self.loader.snapshot_if_due(
                        id,
                        &aggregate,
                        loaded.version,
                        reached.version,
                        reached.position,
                    );
                    self.remember(
                        id,
                        Loaded {
                            aggregate,
                            version: reached.version,
                            position: reached.position,
                        },
                    );
                    return Ok((reached, Done::Appended));
                }
                Err(StoreError::Conflict { current, .. }) => {
                    // Another process appended first (this one's commands take turns).
                    self.forget(id);
                    if meta.expected.is_some() {
                        return Err(conflict(current));
                    }
                    if Instant::now() + pause > deadline {
                        return Err(ApiError::Conflict {
                            detail: "the resource is changing too fast; retry".into(),
                            current_version: Some(current),
                        });
                    }
                    tokio::time::sleep(jittered(pause)).await;
                    pause = (pause * 2).min(MAX_PAUSE);
                    fresh = true;
                }
                Err(error) => {
                    self.forget(id);
                    return Err(error.into());
                }
            }
        }
    }

    /// The first answer of a retried command, if the retry is the same request.
    async fn replay(
        &self,
        meta: &CommandMeta,
        stream: &str,
        first: AppendOutcome,
    ) -> Result<Outcome, ApiError> {
        if first.stream != stream {
            return Err(ApiError::KeyReused);
        }
        let stored = self.store.read_stream(stream, first.first_version).await?;
        let same = stored
            .first()
            .is_some_and(|e| e.metadata.request_hash == meta.metadata.request_hash);
        if !same {
            return Err(ApiError::KeyReused);
        }
        Ok(Outcome {
            version: first.last_version,
            position: first.last_position,
            replayed: true,
        })
    }
}

/// Checks a creation command against a new aggregate, so that a refusal comes before any
/// preparatory append (such as claiming a unique value). A refusal here is counted in
/// `ecommerce_commands_total` like one from [`Executor::execute`].
pub fn precheck<A>(command: &<A as domain::Decider>::Command) -> Result<(), ApiError>
where
    A: domain::Decider + Aggregate,
    <A as domain::Decider>::Command: Clone + Debug,
    <A as domain::Decider>::Error: Refusal,
{
    A::default()
        .decide(command.clone())
        .map(drop)
        .map_err(|refusal| {
            let name = infra::metrics::command_name(command);
            infra::metrics::global().command(<A as Aggregate>::TYPE, &name, "refused");
            ApiError::Refused {
                kind: refusal.kind(),
                detail: refusal.to_string(),
            }
        })
}

/// A pause between half of `pause` and all of it, so that processes that lost the same
/// race do not meet again at the same moment.
fn jittered(pause: Duration) -> Duration {
    let random = getrandom::u64().unwrap_or(0);
    let half = pause / 2;
    half + Duration::from_nanos(random % (half.as_nanos() as u64).max(1))
}

fn conflict(current: Version) -> ApiError {
    ApiError::Conflict {
        detail: format!("the resource is at version {current}"),
        current_version: Some(current),
    }
}

fn encode<A: Aggregate>(events: &[A::Event]) -> Result<Vec<NewEvent>, ApiError> {
    events
        .iter()
        .map(|event| {
            codec::encode(event)
                .map(|(event_type, version, payload)| NewEvent::new(event_type, version, payload))
                .map_err(|e| ApiError::Internal(e.to_string()))
        })
        .collect()
}

impl CommandMeta {
    /// Metadata for a command the system sends on its own (the command line, start-up),
    /// recording `actor` as its user.
    pub fn system(actor: &str) -> Self {
        let mut metadata = EventMetadata::new(chrono::Utc::now());
        metadata.user_id = Some(actor.to_owned());
        metadata.command_id = Some(uuid::Uuid::now_v7());
        Self {
            metadata,
            expected: None,
            keyed: false,
        }
    }
}
