//! Wake-ups from other processes: a task `LISTEN`s on the store's channel and moves the head
//! watch to each notified position. After a lost connection (a server restart) it reconnects
//! with backoff and re-reads the head, since notifications sent meanwhile are gone.
//! Subscribers still poll slowly as a fallback.

use super::batch::NOTIFY_CHANNEL;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use crate::event_store::Position;

/// Moves the watched head forward (never back).
pub(super) fn publish(head: &watch::Sender<Position>, position: Position) {
    head.send_if_modified(|h| {
        let moved = position > *h;
        *h = (*h).max(position);
        moved
    });
}

/// The committed head.
pub(super) async fn read_head(pool: &PgPool) -> Result<Position, sqlx::Error> {
    let head: i64 = sqlx::query_scalar("SELECT position FROM es_head")
        .fetch_one(pool)
        .await?;
    Ok(u64::try_from(head).unwrap_or(0))
}

/// Starts the listener task; it runs until aborted or the pool is closed. `listening` is
/// told once the first `LISTEN` is in place (or has failed).
pub(super) fn spawn(
    pool: PgPool,
    head: Arc<watch::Sender<Position>>,
    listening: oneshot::Sender<()>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut listening = Some(listening);
        let mut backoff = Duration::from_millis(50);
        loop {
            let connected = match PgListener::connect_with(&pool).await {
                Ok(mut listener) => listener.listen(NOTIFY_CHANNEL).await.map(|_| listener),
                Err(e) => Err(e),
            };
            if let Some(tell) = listening.take() {
                let _ = tell.send(());
            }
            if let Ok(mut listener) = connected {
                backoff = Duration::from_millis(50);
                if let Ok(position) = read_head(&pool).await {
                    publish(&head, position);
                }
                loop {
                    match listener.try_recv().await {
                        Ok(Some(notification)) => {
                            if let Ok(position) = notification.payload().parse() {
                                publish(&head, position);
                            }
                        }
                        // The connection was lost and will be re-established: catch up.
                        Ok(None) => {
                            if let Ok(position) = read_head(&pool).await {
                                publish(&head, position);
                            }
                        }
                        Err(_) => break,
                    }
                }
            }
            if pool.is_closed() {
                return;
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(2));
        }
    })
}
