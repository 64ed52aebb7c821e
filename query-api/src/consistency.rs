//! Read-your-writes: a query may ask for "at least position N" (`X-Min-Position: N` or
//! `?min_position=N`) and then answers only once every projection behind the route has
//! applied N, or 504 after a bounded wait.
//!
//! A position must be an integer from 0 to 2^63 − 1 (the stores' range; else 400), and not
//! past the head of the log (else 422 at once: no projection will ever reach it). The
//! queries waiting at once are bounded (`waits`); past that bound they answer 503 with
//! `Retry-After` instead of holding another connection.

use crate::state::QueryState;
use axum::extract::FromRequestParts;
use axum::http::HeaderName;
use axum::http::request::Parts;
use infra::event_store::Position;
use infra::http::ApiError;
use tokio::time::Instant;

/// `X-Min-Position`.
pub const MIN_POSITION: HeaderName = HeaderName::from_static("x-min-position");

/// The position a query must reflect, if the client asked for one.
#[derive(Debug, Clone, Copy, Default)]
pub struct MinPosition(pub Option<Position>);

fn parse(raw: &str) -> Result<Position, ApiError> {
    raw.trim()
        .parse::<Position>()
        .ok()
        .filter(|p| i64::try_from(*p).is_ok())
        .ok_or_else(|| {
            ApiError::Malformed(format!(
                "min_position must be an integer from 0 to {}, not {raw:?}",
                i64::MAX
            ))
        })
}

impl<S: Send + Sync> FromRequestParts<S> for MinPosition {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        if let Some(value) = parts.headers.get(MIN_POSITION) {
            let raw = value
                .to_str()
                .map_err(|_| ApiError::Malformed("X-Min-Position must be ASCII digits".into()))?;
            return Ok(MinPosition(Some(parse(raw)?)));
        }
        let query = parts.uri.query().unwrap_or("");
        for pair in query.split('&') {
            if let Some(raw) = pair.strip_prefix("min_position=") {
                return Ok(MinPosition(Some(parse(raw)?)));
            }
        }
        Ok(MinPosition(None))
    }
}

impl MinPosition {
    /// Waits until every projection in `keys` (such as `catalog_v1`) has applied the asked
    /// position; 504 once the state's bound has passed.
    pub async fn wait(&self, state: &QueryState, keys: &[String]) -> Result<(), ApiError> {
        let Some(min) = self.0 else { return Ok(()) };
        let mut behind = Vec::new();
        for key in keys {
            if !reached(state, key, min).await? {
                behind.push(key);
            }
        }
        if behind.is_empty() {
            return Ok(());
        }
        let head = state.events.head().await?;
        if min > head {
            return Err(ApiError::field(
                "min_position",
                format!("position {min} is past the head of the log ({head})"),
            ));
        }
        let Ok(_place) = state.waits.try_acquire() else {
            return Err(ApiError::Overloaded(
                "too many queries are waiting for X-Min-Position; retry shortly".into(),
            ));
        };
        let deadline = Instant::now() + state.max_wait;
        for key in behind {
            wait_one(state, key, min, deadline).await?;
        }
        Ok(())
    }
}

async fn reached(state: &QueryState, key: &str, min: Position) -> Result<bool, ApiError> {
    Ok(state.positions.position(key) >= min || state.read.checkpoint(key).await? >= min)
}

async fn wait_one(
    state: &QueryState,
    key: &str,
    min: Position,
    deadline: Instant,
) -> Result<(), ApiError> {
    // A projector in this process publishes its position; for one in another process, this
    // process's checkpoint follower reads it while we wait (see `crate::checkpoints`). A
    // slow look at the store ourselves covers a follower that is not running.
    let _interest = state.checkpoints.interest(key);
    let Some(mut watch) = state.positions.watch(key) else {
        return Err(ApiError::Internal(
            "the positions registry is poisoned".into(),
        ));
    };
    loop {
        if reached(state, key, min).await? {
            return Ok(());
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(ApiError::NotYet(format!(
                "the {key} read model has not reached position {min} yet; retry"
            )));
        }
        let nap = (deadline - now).min(FALLBACK_POLL);
        let _ = tokio::time::timeout(nap, watch.wait_for(|p| *p >= min)).await;
    }
}

/// How often a waiting query reads the checkpoint itself, beside the follower's reads.
const FALLBACK_POLL: std::time::Duration = std::time::Duration::from_millis(100);
