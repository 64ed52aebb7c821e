//! One writer per aggregate in a process: commands to the same aggregate take turns, so each
//! is decided on the state the previous one left and none of them conflicts with another of
//! this process. Conflicts remain possible only between processes (see the executor).
//!
//! A turn is a lock per aggregate id, made when the first command arrives and dropped when
//! the last one leaves, so the map holds only aggregates with commands in flight. At most
//! [`MAX_WAITING`] commands wait for one aggregate; past that the answer is 503, so a flood on
//! one hot aggregate cannot pile up without end.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use tokio::sync::OwnedMutexGuard;

/// The most commands that may wait for one aggregate's turn at once.
pub const MAX_WAITING: usize = 256;

type Slot = Arc<tokio::sync::Mutex<()>>;

/// The turns of one aggregate type's instances.
#[derive(Default)]
pub struct Turns {
    slots: Mutex<HashMap<String, Slot>>,
}

/// A command's turn on one aggregate; the next one's starts when it is dropped.
pub struct Turn<'a> {
    turns: &'a Turns,
    id: String,
    /// The wait for the slot, while it lasts; it holds a handle on the slot.
    waiting: Option<Waiting>,
    guard: Option<OwnedMutexGuard<()>>,
}

type Waiting = Pin<Box<dyn Future<Output = OwnedMutexGuard<()>> + Send>>;

/// Too many commands are already waiting for this aggregate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crowded;

impl Turns {
    /// Waits for aggregate `id`'s turn.
    pub async fn take(&self, id: &str) -> Result<Turn<'_>, Crowded> {
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            slots.entry(id.to_owned()).or_default().clone()
        };
        // The map, the running command and each waiting one (this one too) hold the slot.
        let crowded = Arc::strong_count(&slot) > MAX_WAITING + 2;
        // From here the turn holds this wait's handle on the slot, so when the wait ends
        // early (refused, or cancelled by a client that left) the handle is gone before the
        // turn looks whether to clear the slot.
        let mut turn = Turn {
            turns: self,
            id: id.to_owned(),
            waiting: Some(Box::pin(slot.lock_owned())),
            guard: None,
        };
        if crowded {
            return Err(Crowded);
        }
        if let Some(waiting) = turn.waiting.as_mut() {
            let guard = waiting.await;
            turn.waiting = None;
            turn.guard = Some(guard);
        }
        Ok(turn)
    }

    /// How many aggregates have commands in flight (the size of the map).
    pub fn in_flight(&self) -> usize {
        self.slots.lock().map_or(0, |slots| slots.len())
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        drop(self.guard.take());
        drop(self.waiting.take());
        let mut slots = self.turns.slots.lock().unwrap_or_else(|p| p.into_inner());
        // Only the map's handle is left: nobody runs or waits, so the slot goes.
        if slots
            .get(&self.id)
            .is_some_and(|slot| Arc::strong_count(slot) == 1)
        {
            slots.remove(&self.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_command_at_a_time_per_aggregate_and_the_map_empties() {
        let turns = Arc::new(Turns::default());
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..32)
            .map(|_| {
                let (turns, running, most) = (turns.clone(), running.clone(), most.clone());
                tokio::spawn(async move {
                    let _turn = turns.take("cart-1").await.unwrap();
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    tokio::task::yield_now().await;
                    running.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 1);
        assert_eq!(turns.in_flight(), 0);
    }

    #[tokio::test]
    async fn different_aggregates_do_not_wait_for_each_other() {
        let turns = Turns::default();
        let _a = turns.take("a").await.unwrap();
        let b = tokio::time::timeout(std::time::Duration::from_secs(1), turns.take("b")).await;
        assert!(b.is_ok());
    }

    #[tokio::test]
    async fn a_wait_cancelled_after_the_runner_left_leaves_nothing() {
        let turns = Arc::new(Turns::default());
        let first = turns.take("cart").await.unwrap();
        let waiter = {
            let turns = turns.clone();
            tokio::spawn(async move { drop(turns.take("cart").await) })
        };
        // The waiter is queued (the map, the runner and the waiter hold the slot).
        while turns
            .slots
            .lock()
            .unwrap()
            .get("cart")
            .map_or(0, Arc::strong_count)
            < 3
        {
            tokio::task::yield_now().await;
        }
        // The runner leaves while someone waits, so it keeps the slot; then the wait is
        // abandoned before it ran again: the slot must go with it.
        drop(first);
        waiter.abort();
        let _ = waiter.await;
        assert_eq!(turns.in_flight(), 0);
    }

    #[tokio::test]
    async fn past_the_bound_a_command_is_refused_and_a_cancelled_wait_leaves_nothing() {
        let turns = Arc::new(Turns::default());
        let first = turns.take("hot").await.unwrap();
        let waiting: Vec<_> = (0..MAX_WAITING)
            .map(|_| {
                let turns = turns.clone();
                tokio::spawn(async move { drop(turns.take("hot").await) })
            })
            .collect();
        while turns
            .slots
            .lock()
            .unwrap()
            .get("hot")
            .map_or(0, Arc::strong_count)
            < MAX_WAITING + 2
        {
            tokio::task::yield_now().await;
        }
        assert!(matches!(turns.take("hot").await, Err(Crowded)));
        for task in &waiting {
            task.abort();
        }
        for task in waiting {
            let _ = task.await;
        }
        drop(first);
        assert_eq!(turns.in_flight(), 0);
    }
}
