//! Runs one command against one aggregate: replay a retried `Idempotency-Key`, load (from the
//! recently used states, bounded by count and size, when possible), decide, append with the
//! expected version, and answer with the version and global position reached.
//!
//! Commands to one aggregate take turns in a process ([`crate::turns`]): each is decided on
//! the state the previous one left, so they never conflict with each other. A turn ends
//! once the append is handed to the store, so the next command decides on the state it
//! leads to before it is durable ([`crate::ahead`]), and a hot aggregate's commands share
//! commits. The cache is only a shortcut, and so are the snapshots that loads start from
//! ([`infra::event_store::snapshots`]) and the states ahead of the log: every append carries
//! the version (and, on a state ahead, the event) it was decided on, so a state another
//! process changed ends in a conflict, and the command is decided again on fresh state,
//! after a jittered pause, until [`RETRY_BOUND`] has passed. A 409 is left only for a client
//! whose `If-Match` is stale, and for a race still lost after that bound.
//!
//! Every run is counted in `ecommerce_commands_total` by aggregate, command and outcome
//! ([`answers`]).

mod answers;

pub use answers::{CommandMeta, Outcome, precheck};

use crate::ahead::{Ahead, InFlight, Settle};
use crate::error::ApiError;
use crate::states::{MAX_BYTES, MAX_STATES, States};
use crate::turns::{Crowded, Turns};
use answers::{Done, outcome};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, EventStore as _};
use domain::{Refusal, StateVersion};
use infra::event_store::aggregates::stream_name;
use infra::event_store::codec;
use infra::event_store::{
    AggregateStore, AppendOutcome, AppendRequest, EventStore, ExpectedVersion, NewEvent, Pending,
    Position, StoreError, Version,
};
use std::fmt::Debug;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a command lost to other processes is decided again before it answers 409.
pub const RETRY_BOUND: Duration = Duration::from_secs(2);
/// The first pause before deciding again; it doubles, up to [`MAX_PAUSE`], with jitter.
const FIRST_PAUSE: Duration = Duration::from_millis(2);
const MAX_PAUSE: Duration = Duration::from_millis(100);

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
    ahead: Ahead<A>,
    turns: Turns,
}

/// Where the state a command is decided on came from.
enum Source {
    /// Decided on by this process, its append in flight: what the next append expects, and
    /// where that one stands.
    Ahead(ExpectedVersion, Settle),
    /// The recently used states: durable, possibly behind the log.
    Cache,
    /// Read from the log just now.
    Log,
}

/// An append handed to the store, with the state it leads to.
struct Sent<A> {
    aggregate: A,
    /// The version the command was decided on.
    base: Version,
    pending: Pending,
}

/// What one decision came to.
enum Attempt<'a, A: Aggregate> {
    /// The answer, with nothing appended.
    Answered(Result<Outcome, ApiError>),
    /// The answer, with nothing appended, decided on a state still ahead of the log: it
    /// stands once that state is durable.
    OnceDurable(Settle, Result<Outcome, ApiError>),
    /// Refused on a cached state the log has moved past: decide again on the log's.
    Again,
    /// Events handed to the store.
    Sent(Sent<A>, InFlight<'a, A>),
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
            ahead: Ahead::default(),
            turns: Turns::default(),
        }
    }

    fn cached(&self, id: &str) -> Option<Loaded<A>> {
        self.cache.lock().ok()?.get(id)
    }

    /// Keeps a state read from the log or made durable, unless a newer one is kept already
    /// (appends that shared a commit may settle in any order).
    fn remember(&self, id: &str, loaded: Loaded<A>) {
        // Measured before the lock: it takes time proportional to the state.
        let size = crate::states::size_of(&loaded);
        if let Ok(mut cache) = self.cache.lock()
            && cache
                .peek(id)
                .is_none_or(|kept| kept.version <= loaded.version)
        {
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

    /// The state, from the cache when it holds it (possibly behind the log by a little, never
    /// ahead of it).
    pub async fn load_cached(&self, id: &str) -> Result<Loaded<A>, ApiError> {
        match self.cached(id) {
            Some(loaded) => Ok(loaded),
            None => self.load(id).await,
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
        let deadline = Instant::now() + RETRY_BOUND;
        let mut pause = FIRST_PAUSE;
        let mut fresh = false;
        loop {
            let (sent, flight) = match self.attempt(meta, id, &stream, &command, fresh).await? {
                Attempt::Answered(answer) => {
                    return answer.map(|reached| (reached, Done::Unchanged));
                }
                Attempt::OnceDurable(settle, answer) => match settle.durable().await {
                    // Decided on a state this process appended: it stands once that is durable.
                    Some(position) => {
                        return answer.map(|reached| {
                            (
                                Outcome {
                                    position,
                                    ..reached
                                },
                                Done::Unchanged,
                            )
                        });
                    }
                    // That append failed, and with it what was decided on it (the cache was
                    // dropped): decide again on the log, within the same bound as a lost race.
                    None if Instant::now() < deadline => continue,
                    None => return Err(too_fast(None)),
                },
                Attempt::Again => {
                    fresh = true;
                    continue;
                }
                Attempt::Sent(sent, flight) => (sent, flight),
            };
            match sent.pending.await {
                Ok(outcome) if outcome.deduplicated => {
                    self.forget(id);
                    flight.failed();
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
                        &sent.aggregate,
                        sent.base,
                        reached.version,
                        reached.position,
                    );
                    // Kept before its entry ahead of the log goes, so the next command finds
                    // it in one place or the other.
                    self.remember(
                        id,
                        Loaded {
                            aggregate: sent.aggregate,
                            version: reached.version,
                            position: reached.position,
                        },
                    );
                    flight.durable(reached.position);
                    return Ok((reached, Done::Appended));
                }
                Err(StoreError::Conflict { current, .. }) => {
                    // Another process appended first, or an append this one was decided on
                    // failed (this process's commands take turns).
                    self.forget(id);
                    flight.failed();
                    if meta.expected.is_some() {
                        return Err(conflict(current));
                    }
                    if Instant::now() + pause > deadline {
                        return Err(too_fast(Some(current)));
                    }
                    tokio::time::sleep(jittered(pause)).await;
                    pause = (pause * 2).min(MAX_PAUSE);
                    fresh = true;
                }
                Err(error) => {
                    self.forget(id);
                    flight.failed();
                    return Err(error.into());
                }
            }
        }
    }

    /// One decision, in the aggregate's turn: the turn ends once the append (if any) is
    /// handed to the store, so the next command decides on this one's state (see
    /// [`crate::ahead`]).
    async fn attempt(
        &self,
        meta: &CommandMeta,
        id: &str,
        stream: &str,
        command: &A::Command,
        fresh: bool,
    ) -> Result<Attempt<'_, A>, ApiError> {
        let _turn = self.turns.take(id).await.map_err(|Crowded| {
            ApiError::Overloaded("too many commands are waiting for this resource".into())
        })?;
        let (loaded, source) = self.load_for_decision(id, fresh).await?;
        if let Some(expected) = meta.expected
            && expected != loaded.version
        {
            return Ok(answered(source, Err(conflict(loaded.version))));
        }
        let mut aggregate = loaded.aggregate;
        let sink = EventSink::default();
        if let Err(refusal) = aggregate.handle(command.clone(), &(), &sink).await {
            // A refusal decided on a cached state stands when the stream is still at the
            // cached version (one indexed read); otherwise it is decided again on fresh
            // state. A full reload for every refusal made refusals on a long stream cost its
            // whole history each (80 a second on a hot cart of 10,000 events).
            let refused = Err(cqrs_es::AggregateError::UserError(refusal).into());
            return match source {
                Source::Cache if self.store.stream_version(stream).await? != loaded.version => {
                    Ok(Attempt::Again)
                }
                source => Ok(answered(source, refused)),
            };
        }
        let events = sink.collect().await;
        if events.is_empty() {
            let unchanged = Outcome {
                version: loaded.version,
                position: loaded.position,
                replayed: false,
            };
            return Ok(answered(source, Ok(unchanged)));
        }
        let events = encode::<A>(&events)?;
        let last_event = events.last().map(|e| e.event_id).unwrap_or_default();
        let count = events.len() as Version;
        let request = AppendRequest {
            stream: stream.to_owned(),
            expected: match (&source, loaded.version) {
                (Source::Ahead(expected, _), _) => *expected,
                (_, 0) => ExpectedVersion::NoStream,
                (_, v) => ExpectedVersion::Exact(v),
            },
            events,
            metadata: meta.metadata.clone(),
        };
        let pending = self.store.enqueue(request).await?;
        let next = loaded.version + count;
        let flight = self.ahead.start(id, aggregate.clone(), next, last_event);
        let sent = Sent {
            aggregate,
            base: loaded.version,
            pending,
        };
        Ok(Attempt::Sent(sent, flight))
    }

    /// The state to decide on: the one this process's last append left if that is still in
    /// flight, else the cached one, else the log's (always the log's when `fresh`).
    async fn load_for_decision(
        &self,
        id: &str,
        fresh: bool,
    ) -> Result<(Loaded<A>, Source), ApiError> {
        if !fresh {
            if let Some(decided) = self.ahead.get(id) {
                let loaded = Loaded {
                    aggregate: decided.state,
                    version: decided.version,
                    position: 0,
                };
                return Ok((loaded, Source::Ahead(decided.expected, decided.settle)));
            }
            if let Some(loaded) = self.cached(id) {
                return Ok((loaded, Source::Cache));
            }
        }
        Ok((self.load(id).await?, Source::Log))
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

/// An answer that appends nothing, decided on a state from `source`.
fn answered<'a, A: Aggregate>(source: Source, result: Result<Outcome, ApiError>) -> Attempt<'a, A> {
    match source {
        Source::Ahead(_, settle) => Attempt::OnceDurable(settle, result),
        Source::Cache | Source::Log => Attempt::Answered(result),
    }
}

/// A pause between half of `pause` and all of it, so that processes that lost the same
/// race do not meet again at the same moment.
fn jittered(pause: Duration) -> Duration {
    let random = getrandom::u64().unwrap_or(0);
    let half = pause / 2;
    half + Duration::from_nanos(random % (half.as_nanos() as u64).max(1))
}

/// A race still lost after [`RETRY_BOUND`].
fn too_fast(current: Option<Version>) -> ApiError {
    ApiError::Conflict {
        detail: "the resource is changing too fast; retry".into(),
        current_version: current,
    }
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
