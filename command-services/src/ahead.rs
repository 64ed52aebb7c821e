//! States this process has decided on whose appends are not durable yet: "ahead" of the log.
//!
//! A command's turn on its aggregate ends once its append is handed to the store
//! ([`infra::event_store::EventStore::enqueue`]), not once it is committed. The next command
//! decides on the state this one left, from here, and its append follows in the same commit
//! or the next, so the commands of a hot aggregate share commits instead of each waiting out
//! the last one's. An entry is a shortcut, never trusted: every append carries the version it
//! was decided on, so an append decided on a state whose own append then failed fails too,
//! and its command is decided again.
//!
//! An answer that appends nothing (a refusal, "already so", a stale `If-Match`) but was
//! decided on a state from here waits until that state is durable ([`Settle::durable`]), so
//! no client is answered on a state the log never held.

use infra::event_store::{ExpectedVersion, Position, Version};
use std::collections::HashMap;
use std::sync::Mutex;
use tokio::sync::watch;
use uuid::Uuid;

/// How an append in flight ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Settled {
    Waiting,
    /// Durable, its last event at this position.
    Durable(Position),
    Failed,
}

/// The states ahead of the log, by aggregate id: at most one per aggregate (the newest), and
/// only while an append is in flight, so the map is bounded by the commands in flight.
pub struct Ahead<T> {
    entries: Mutex<HashMap<String, Entry<T>>>,
}

struct Entry<T> {
    state: T,
    version: Version,
    last_event: Uuid,
    settled: watch::Receiver<Settled>,
}

/// A state ahead of the log, to decide on.
pub struct Decided<T> {
    /// The state.
    pub state: T,
    /// Its version once durable.
    pub version: Version,
    /// What an append decided on it expects: the stream ending with its last event.
    pub expected: ExpectedVersion,
    /// Where its append stands.
    pub settle: Settle,
}

/// Where a state ahead of the log stands; wait on it with [`Settle::durable`].
pub struct Settle(watch::Receiver<Settled>);

/// An append in flight, owning its entry: say how it ended with [`InFlight::durable`] or
/// [`InFlight::failed`]. Dropped before either (its request was cancelled), it counts as
/// failed, so nobody waits on it and its entry goes.
pub struct InFlight<'a, T> {
    ahead: &'a Ahead<T>,
    id: String,
    version: Version,
    settled: watch::Sender<Settled>,
    done: bool,
}

impl<T> Default for Ahead<T> {
    fn default() -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<T: Clone> Ahead<T> {
    /// The newest state decided on for `id` that is not durable yet.
    pub fn get(&self, id: &str) -> Option<Decided<T>> {
        self.lock().get(id).map(|e| Decided {
            state: e.state.clone(),
            version: e.version,
            expected: ExpectedVersion::After(e.version, e.last_event),
            settle: Settle(e.settled.clone()),
        })
    }

    /// Records `state` as decided for `id`, its append handed over: the stream will be at
    /// `version`, ending with event `last_event`.
    pub fn start(&self, id: &str, state: T, version: Version, last_event: Uuid) -> InFlight<'_, T> {
        let (sender, settled) = watch::channel(Settled::Waiting);
        let entry = Entry {
            state,
            version,
            last_event,
            settled,
        };
        self.lock().insert(id.to_owned(), entry);
        InFlight {
            ahead: self,
            id: id.to_owned(),
            version,
            settled: sender,
            done: false,
        }
    }

    /// How many aggregates have a state ahead of the log.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when no state is ahead of the log.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> Ahead<T> {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry<T>>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Drops `id`'s entry if `gone` says so.
    fn remove_if(&self, id: &str, gone: impl FnOnce(Version) -> bool) {
        let mut entries = self.lock();
        if entries.get(id).is_some_and(|e| gone(e.version)) {
            entries.remove(id);
        }
    }
}

impl<T> InFlight<'_, T> {
    /// The append is durable, its last event at `position`: the entry goes unless a newer
    /// state has been decided on it (that one's append is still in flight).
    pub fn durable(mut self, position: Position) {
        self.done = true;
        let version = self.version;
        self.ahead.remove_if(&self.id, |v| v == version);
        self.settled.send_replace(Settled::Durable(position));
    }

    /// The append failed: its state goes, and so does any newer one decided on it.
    pub fn failed(mut self) {
        self.fail();
    }

    fn fail(&mut self) {
        self.done = true;
        let version = self.version;
        self.ahead.remove_if(&self.id, |v| v >= version);
        self.settled.send_replace(Settled::Failed);
    }
}

impl<T> Drop for InFlight<'_, T> {
    fn drop(&mut self) {
        if !self.done {
            self.fail();
        }
    }
}

impl Settle {
    /// Waits until the state is durable or its append failed: the position of its last event
    /// if durable.
    pub async fn durable(mut self) -> Option<Position> {
        match self.0.wait_for(|s| *s != Settled::Waiting).await {
            Ok(settled) => match *settled {
                Settled::Durable(position) => Some(position),
                _ => None,
            },
            // The sender is gone only through `durable`, `failed` or a drop, which all
            // settle first; treat anything else as failed.
            Err(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_durable_append_settles_its_waiters_and_leaves_no_entry() {
        let ahead = Ahead::default();
        let event = Uuid::now_v7();
        let flight = ahead.start("cart", "two items", 2, event);
        let decided = ahead.get("cart").unwrap();
        assert_eq!((decided.state, decided.version), ("two items", 2));
        assert_eq!(decided.expected, ExpectedVersion::After(2, event));
        let waiter = tokio::spawn(decided.settle.durable());
        flight.durable(42);
        assert_eq!(waiter.await.unwrap(), Some(42));
        assert!(ahead.is_empty());
    }

    #[tokio::test]
    async fn a_newer_state_stays_when_an_older_append_is_durable() {
        let ahead = Ahead::default();
        let first = ahead.start("cart", "one item", 1, Uuid::now_v7());
        let second = ahead.start("cart", "two items", 2, Uuid::now_v7());
        first.durable(10);
        assert_eq!(
            ahead.get("cart").map(|d| (d.state, d.version)),
            Some(("two items", 2))
        );
        second.durable(11);
        assert!(ahead.is_empty());
    }

    #[tokio::test]
    async fn a_failed_append_takes_the_states_decided_on_it() {
        let ahead = Ahead::default();
        let first = ahead.start("cart", "one item", 1, Uuid::now_v7());
        let settle = ahead.get("cart").unwrap().settle;
        let _second = ahead.start("cart", "two items", 2, Uuid::now_v7());
        first.failed();
        assert!(ahead.get("cart").is_none());
        assert_eq!(settle.durable().await, None);
    }

    #[tokio::test]
    async fn a_cancelled_append_counts_as_failed() {
        let ahead = Ahead::default();
        let flight = ahead.start("cart", "one item", 1, Uuid::now_v7());
        let settle = ahead.get("cart").unwrap().settle;
        drop(flight);
        assert!(ahead.is_empty());
        assert_eq!(settle.durable().await, None);
    }
}
