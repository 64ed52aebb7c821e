//! Who is calling: the bearer token's user, checked against the user profiles read model so
//! that a deactivated user is refused, role changes count, and a token older than the
//! user's last password change is refused. A query that asks for `X-Min-Position` is checked
//! against the profiles as of that position too, so a deactivation the client has seen
//! answered is never overtaken by a read. A profile not projected yet is waited for (up to
//! the head of the log as it is then), never replaced by the token's claims.

use crate::consistency::MinPosition;
use crate::state::QueryState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use domain::values::Role;
use infra::http::ApiError;
use projections::models::users::{USERS, UserDoc, Users};
use std::collections::BTreeSet;

/// A signed-in, active user with their roles.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The user's id.
    pub id: String,
    /// Their roles.
    pub roles: BTreeSet<Role>,
}

impl Caller {
    /// True for admins.
    pub fn is_admin(&self) -> bool {
        self.roles.contains(&Role::Admin)
    }

    /// Refuses (403) a caller without `role`.
    pub fn require(&self, role: Role) -> Result<(), ApiError> {
        if self.roles.contains(&role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "this needs the {} role",
                role.as_str()
            )))
        }
    }

    /// Refuses (403) a caller who is neither `owner` nor an admin.
    pub fn owner_or_admin(&self, owner: &str) -> Result<(), ApiError> {
        if self.id == owner || self.is_admin() {
            Ok(())
        } else {
            Err(ApiError::Forbidden("this belongs to another user".into()))
        }
    }
}

impl FromRequestParts<QueryState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &QueryState) -> Result<Self, ApiError> {
        let claims = infra::http::bearer::claims(parts, &state.tokens)?;
        let min = MinPosition::from_request_parts(parts, state).await?;
        let key = state.versions.key(&Users);
        min.wait(state, std::slice::from_ref(&key)).await?;
        let id = claims.sub.to_string();
        let users = state.versions.collection(&Users, USERS);
        let mut profile = state.read.get(&users, &id).await?;
        if profile.is_none() {
            // Signed in before the profile was projected (or the model is being rebuilt):
            // wait for the log as it is now, then look again; never trust the token alone.
            let head = state.events.head().await?;
            MinPosition(Some(head)).wait(state, &[key]).await?;
            profile = state.read.get(&users, &id).await?;
        }
        let roles = match profile.map(|d| serde_json::from_value::<UserDoc>(d.body)) {
            Some(Ok(user)) if user.status == "deactivated" => {
                return Err(ApiError::Unauthorized("this account is deactivated".into()));
            }
            Some(Ok(user)) if claims.pwv < user.password_version => {
                return Err(ApiError::Unauthorized(
                    "the token was revoked by a password change; sign in again".into(),
                ));
            }
            Some(Ok(user)) => user.roles.iter().filter_map(|r| r.parse().ok()).collect(),
            Some(Err(e)) => return Err(ApiError::Internal(format!("user profile {id}: {e}"))),
            None => {
                return Err(ApiError::Unauthorized(
                    "the token's user does not exist".into(),
                ));
            }
        };
        Ok(Caller { id, roles })
    }
}
