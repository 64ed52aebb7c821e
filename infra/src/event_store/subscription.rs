//! A catch-up subscription to the global log: read in batches from a position, and once
//! caught up, sleep until the store says the head moved (a slow poll covers writers in other
//! processes that cannot wake us).

use super::{EventStore, Position, RecordedEvent, StoreError, Window};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

/// Reads the global log after a position, batch by batch, waiting when there is nothing new.
pub struct Subscription {
    store: Arc<dyn EventStore>,
    head: watch::Receiver<Position>,
    after: Position,
    batch_size: usize,
    poll_interval: Duration,
    types: Option<Vec<&'static str>>,
    pace: Duration,
    last_read: Option<Instant>,
}

impl Subscription {
    /// Starts after `after` (0: from the beginning).
    pub fn new(store: Arc<dyn EventStore>, after: Position) -> Self {
        let head = store.watch_head();
        Self {
            store,
            head,
            after,
            batch_size: 500,
            poll_interval: Duration::from_secs(1),
            types: None,
            pace: Duration::ZERO,
            last_read: None,
        }
    }

    /// Events per batch (at least 1).
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size.max(1);
        self
    }

    /// How long to sleep without a wake-up before looking anyway.
    pub fn poll_interval(mut self, poll_interval: Duration) -> Self {
        self.poll_interval = poll_interval;
        self
    }

    /// While following the log ([`Subscription::next_window`]), reads at most once per
    /// `pace`: under a steady stream of commits each read then takes what the last `pace`
    /// brought, in one window, instead of a window per commit. A reader that was idle for
    /// longer reads at once, so this costs latency only while the log is busy.
    pub fn pace(mut self, pace: Duration) -> Self {
        self.pace = pace;
        self
    }

    /// Hands out only events of these types (windows still cover every position).
    pub fn only(mut self, types: Vec<&'static str>) -> Self {
        self.types = Some(types);
        self
    }

    /// The position of the last event handed out.
    pub fn position(&self) -> Position {
        self.after
    }

    /// The next batch, in order, waiting until there is one.
    pub async fn next_batch(&mut self) -> Result<Vec<RecordedEvent>, StoreError> {
        loop {
            if let Some(batch) = self.try_next_batch().await? {
                return Ok(batch);
            }
            let after = self.after;
            // A commit after our read has already moved the watched value, so no wake-up is
            // lost between the read above and this wait.
            let _ =
                tokio::time::timeout(self.poll_interval, self.head.wait_for(|head| *head > after))
                    .await;
        }
    }

    /// The next batch if one is there now, without waiting.
    pub async fn try_next_batch(&mut self) -> Result<Option<Vec<RecordedEvent>>, StoreError> {
        let events = self.store.read_all(self.after, self.batch_size).await?;
        match events.last() {
            Some(last) => {
                self.after = last.position;
                Ok(Some(events))
            }
            None => Ok(None),
        }
    }

    /// The next window of the log: its events (of the asked types, if any were set) and the
    /// position it covers up to, waiting until the log has moved past where we are.
    pub async fn next_window(&mut self) -> Result<Window, StoreError> {
        loop {
            if let Some(last) = self.last_read {
                tokio::time::sleep_until(last + self.pace).await;
            }
            self.last_read = Some(Instant::now()).filter(|_| !self.pace.is_zero());
            if let Some(window) = self.try_next_window().await? {
                return Ok(window);
            }
            let after = self.after;
            let _ =
                tokio::time::timeout(self.poll_interval, self.head.wait_for(|head| *head > after))
                    .await;
        }
    }

    /// The next window if the log has moved, without waiting.
    pub async fn try_next_window(&mut self) -> Result<Option<Window>, StoreError> {
        let window = match &self.types {
            Some(types) => {
                self.store
                    .read_types(self.after, self.batch_size, types)
                    .await?
            }
            None => {
                let events = self.store.read_all(self.after, self.batch_size).await?;
                let up_to = events.last().map_or(self.after, |e| e.position);
                Window { events, up_to }
            }
        };
        if window.up_to <= self.after {
            return Ok(None);
        }
        self.after = window.up_to;
        Ok(Some(window))
    }
}
