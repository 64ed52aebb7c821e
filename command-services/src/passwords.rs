//! Passwords at the edge: hashing and checking them on the bounded pool, finding an account
//! by email, and what a retried `Idempotency-Key` must prove when its request set a password.
//!
//! The request fingerprint leaves passwords out (nothing derived from a password but its
//! Argon2id hash is stored), so it cannot tell a retry from the same request with another
//! password. A retry of a registration or a password change is therefore checked against the
//! hash its first run stored: another password is another request (422), not a retry that
//! would be told "done" while the first password stays.

use crate::claims;
use crate::error::ApiError;
use crate::executor::CommandMeta;
use crate::state::AppState;
use domain::user::UserState;
use domain::values::{Email, PasswordHash};
use infra::auth::{Password, Secret};

/// Hashes on the bounded hashing pool: Argon2id is meant to be slow and memory-hard.
pub async fn hash(state: &AppState, password: Password) -> Result<PasswordHash, ApiError> {
    Ok(state.guard.hashing.hash(password).await?)
}

/// Checks a password on the bounded hashing pool; with no stored hash, against a decoy.
pub async fn verify(
    state: &AppState,
    plain: &str,
    stored: Option<PasswordHash>,
) -> Result<bool, ApiError> {
    Ok(state
        .guard
        .hashing
        .verify(Secret::new(plain), stored)
        .await?)
}

/// The account holding `email`, if any.
pub async fn user_by_email(state: &AppState, email: &Email) -> Result<Option<UserState>, ApiError> {
    let Some(id) = claims::holder(state, &format!("email:{email}")).await? else {
        return Ok(None);
    };
    let user = state.users.load(&id.to_string()).await?;
    Ok(user.aggregate.state().cloned())
}

/// True when `meta` is a keyed command whose first run is recorded: this request is a retry
/// (or reuses the key, which the executor refuses).
pub async fn retried(state: &AppState, meta: &CommandMeta) -> Result<bool, ApiError> {
    match meta.metadata.command_id {
        Some(id) if meta.keyed => Ok(state.store.command_outcome(id).await?.is_some()),
        _ => Ok(false),
    }
}

/// A retry must carry the password its first run set: refused (422) otherwise.
pub async fn same_as_first(
    state: &AppState,
    plain: &str,
    stored: &PasswordHash,
) -> Result<(), ApiError> {
    if verify(state, plain, Some(stored.clone())).await? {
        Ok(())
    } else {
        Err(ApiError::KeyReused)
    }
}
