//! An event store that dies at its `n`th append: shared by the checkout crash tests.

#[path = "../support/forward.rs"]
#[macro_use]
mod forward;

use infra::event_store::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use uuid::Uuid;

/// An event store that dies at its `n`th append, before it commits or after (the answer lost);
/// every append after that fails the same way.
pub struct Crashing {
    pub inner: Arc<dyn EventStore>,
    pub appends_left: AtomicUsize,
    pub commit_then_die: bool,
}

forwarding_store!(Crashing {
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, StoreError> {
        // Counted down to zero and no further, so that once dead it stays dead, however many
        // tasks append at once.
        let alive = self
            .appends_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        if alive.is_ok() {
            return self.inner.append(request).await;
        }
        if self.commit_then_die {
            self.inner.append(request).await?;
        }
        Err(StoreError::Unavailable("the process died".into()))
    }
});
