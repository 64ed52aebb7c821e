//! Unique emails and SKUs through claim streams (see `domain::claim`).

use crate::error::ApiError;
use crate::executor::CommandMeta;
use crate::state::AppState;
use domain::RefusalKind;
use domain::claim::{Claim, ClaimValue};
use std::future::Future;
use uuid::Uuid;

/// Claims `key` (such as `email:ann@example.com`) for `owner` and returns the id to create
/// the owner under. When another owner holds the key but was never created (a crash between
/// the claim and the creation), that owner's id is returned instead, so the creation finishes
/// under it; of two such finishers the owner stream's "no stream" append lets one win.
pub async fn claim<F, Fut>(
    state: &AppState,
    meta: &CommandMeta,
    key: &str,
    owner: Uuid,
    taken: &str,
    exists: F,
) -> Result<Uuid, ApiError>
where
    F: FnOnce(Uuid) -> Fut,
    Fut: Future<Output = Result<bool, ApiError>>,
{
    let command = ClaimValue {
        value: key.to_owned(),
        owner,
    };
    let mut meta = meta.clone();
    meta.expected = None;
    match state.claims.execute(&meta, key, command).await {
        Ok(_) => Ok(owner),
        Err(ApiError::Refused {
            kind: RefusalKind::AlreadyExists,
            ..
        }) => {
            let Claim::Taken { owner: holder, .. } = state.claims.load(key).await?.aggregate else {
                return Err(ApiError::Internal(format!("claim {key} refused but free")));
            };
            if exists(holder).await? {
                Err(ApiError::Conflict {
                    detail: taken.to_owned(),
                    current_version: None,
                })
            } else {
                Ok(holder)
            }
        }
        Err(other) => Err(other),
    }
}

/// Who holds `key`, if anyone. A taken claim never changes, so the cache serves it; a free
/// one is read from the log, since another process may have claimed it since.
pub async fn holder(state: &AppState, key: &str) -> Result<Option<Uuid>, ApiError> {
    if let Claim::Taken { owner, .. } = state.claims.load_cached(key).await?.aggregate {
        return Ok(Some(owner));
    }
    Ok(match state.claims.load(key).await?.aggregate {
        Claim::Taken { owner, .. } => Some(owner),
        Claim::Free => None,
    })
}
