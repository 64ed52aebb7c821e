//! Wake-ups: a catch-up subscription to `$all` from its end (system events filtered out)
//! moves the head watch to each new commit position, whoever wrote it. A dropped
//! subscription is re-opened with backoff.

use super::convert::position_of;
use super::names::Names;
use crate::event_store::Position;
use kurrentdb::{Client, StreamPosition, SubscribeToAllOptions};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Moves the watched head forward (never back).
pub(super) fn publish(head: &watch::Sender<Position>, position: Position) {
    head.send_if_modified(|h| {
        let moved = position > *h;
        *h = (*h).max(position);
        moved
    });
}

/// Starts the subscription task; it runs until aborted.
pub(super) fn spawn(
    client: Client,
    names: Names,
    head: Arc<watch::Sender<Position>>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut backoff = Duration::from_millis(100);
        loop {
            let options = SubscribeToAllOptions::default()
                .position(StreamPosition::End)
                .filter(names.filter());
            let mut subscription = client.subscribe_to_all(&options).await;
            // Commits between the last event seen and the new subscription.
            if let Ok(position) = super::read::head(&client, &names).await {
                publish(&head, position);
            }
            while let Ok(event) = subscription.next().await {
                backoff = Duration::from_millis(100);
                let e = event.get_original_event();
                if names.visible(e.stream_id(), &e.event_type) {
                    publish(&head, position_of(e.position));
                }
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
    })
}
