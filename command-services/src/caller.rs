//! Who is calling: the bearer token's user, checked against the user's current state on every
//! request, so deactivation, role changes and password changes (which revoke older tokens)
//! take effect at once.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use domain::user::User;
use domain::values::{Role, UserId};
use std::collections::BTreeSet;

/// A signed-in, active user with their current roles.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The user.
    pub id: UserId,
    /// Roles now (not when the token was issued).
    pub roles: BTreeSet<Role>,
}

impl Caller {
    /// True when the caller holds `role`.
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Refuses (403) a caller without `role`.
    pub fn require(&self, role: Role) -> Result<(), ApiError> {
        if self.has(role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "this needs the {} role",
                role.as_str()
            )))
        }
    }

    /// Refuses (403) a caller who is neither `owner` nor an admin.
    pub fn owner_or_admin(&self, owner: UserId) -> Result<(), ApiError> {
        if self.id == owner || self.has(Role::Admin) {
            Ok(())
        } else {
            Err(ApiError::Forbidden("this belongs to another user".into()))
        }
    }

    /// Refuses (403) anyone but `owner`.
    pub fn owner(&self, owner: UserId) -> Result<(), ApiError> {
        if self.id == owner {
            Ok(())
        } else {
            Err(ApiError::Forbidden("this belongs to another user".into()))
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let claims = infra::http::bearer::claims(parts, &state.tokens)?;
        let user = state.users.load_cached(&claims.sub.to_string()).await?;
        match user.aggregate {
            User::Active(state) if claims.pwv < state.password_version => {
                Err(ApiError::Unauthorized(
                    "the token was revoked by a password change; sign in again".into(),
                ))
            }
            User::Active(state) => Ok(Caller {
                id: claims.sub,
                roles: state.roles,
            }),
            User::Deactivated(_) => {
                Err(ApiError::Unauthorized("this account is deactivated".into()))
            }
            User::Unknown => Err(ApiError::Unauthorized(
                "the token's user does not exist".into(),
            )),
        }
    }
}

/// A caller with the admin role; anyone else is refused (403) before the body is read.
#[derive(Debug, Clone)]
pub struct Admin(pub Caller);

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.require(Role::Admin)?;
        Ok(Admin(caller))
    }
}

/// A caller with the customer role; anyone else is refused (403) before the body is read.
#[derive(Debug, Clone)]
pub struct Customer(pub Caller);

impl FromRequestParts<AppState> for Customer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.require(Role::Customer)?;
        Ok(Customer(caller))
    }
}
