//! The user's state, its decisions and their effect.

use super::{UserCommand, UserError, UserEvent};
use crate::Decider;
use crate::values::{Address, Email, PasswordHash, PersonName, Role, UserId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// A user's lifecycle.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub enum User {
    /// Not registered yet.
    #[default]
    Unknown,
    /// Can sign in and shop.
    Active(UserState),
    /// Closed for good; kept for history.
    Deactivated(UserState),
}

/// What a registered user knows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserState {
    /// Id.
    pub id: UserId,
    /// Login email.
    pub email: Email,
    /// Display name.
    pub name: PersonName,
    /// Password hash.
    pub password_hash: PasswordHash,
    /// Roles; never empty.
    pub roles: BTreeSet<Role>,
    /// Default shipping address.
    pub address: Option<Address>,
    /// How many times the password was changed: access tokens carry the generation they
    /// were issued under, and an older one is refused.
    #[serde(default)]
    pub password_version: u32,
}

impl User {
    /// The state of a registered user.
    pub fn state(&self) -> Option<&UserState> {
        match self {
            User::Unknown => None,
            User::Active(s) | User::Deactivated(s) => Some(s),
        }
    }

    fn state_mut(&mut self) -> Option<&mut UserState> {
        match self {
            User::Unknown => None,
            User::Active(s) | User::Deactivated(s) => Some(s),
        }
    }

    fn active(&self) -> Result<&UserState, UserError> {
        match self {
            User::Unknown => Err(UserError::NotFound),
            User::Active(s) => Ok(s),
            User::Deactivated(_) => Err(UserError::Deactivated),
        }
    }
}

impl Decider for User {
    type Command = UserCommand;
    type Event = UserEvent;
    type Error = UserError;

    fn decide(&self, command: UserCommand) -> Result<Vec<UserEvent>, UserError> {
        use UserCommand as C;
        use UserEvent as E;
        match command {
            C::Register {
                user_id,
                email,
                name,
                password_hash,
                roles,
            } => {
                match self {
                    User::Unknown => {}
                    User::Active(_) => return Err(UserError::AlreadyExists),
                    User::Deactivated(_) => return Err(UserError::Deactivated),
                }
                if roles.is_empty() {
                    return Err(UserError::NoRoles);
                }
                Ok(vec![E::UserRegistered {
                    user_id,
                    email,
                    name,
                    password_hash,
                    roles,
                }])
            }
            C::ChangeProfile { name, address } => {
                let s = self.active()?;
                let name = name.unwrap_or_else(|| s.name.clone());
                let address = address.or_else(|| s.address.clone());
                if name == s.name && address == s.address {
                    return Ok(vec![]);
                }
                Ok(vec![E::UserProfileChanged { name, address }])
            }
            C::ChangePassword { password_hash } => {
                // Always recorded: hashes are salted, so equal hashes say nothing.
                self.active()?;
                Ok(vec![E::UserPasswordChanged { password_hash }])
            }
            C::SetRoles { roles } => {
                let s = self.active()?;
                if roles.is_empty() {
                    return Err(UserError::NoRoles);
                }
                if roles == s.roles {
                    return Ok(vec![]);
                }
                Ok(vec![E::UserRolesChanged { roles }])
            }
            C::Deactivate { reason } => {
                self.active()?;
                Ok(vec![E::UserDeactivated { reason }])
            }
        }
    }

    fn evolve(&mut self, event: UserEvent) {
        use UserEvent as E;
        match event {
            E::UserRegistered {
                user_id,
                email,
                name,
                password_hash,
                roles,
            } => {
                *self = User::Active(UserState {
                    id: user_id,
                    email,
                    name,
                    password_hash,
                    roles,
                    address: None,
                    password_version: 0,
                });
            }
            E::UserDeactivated { .. } => {
                *self = match std::mem::take(self) {
                    User::Active(s) => User::Deactivated(s),
                    other => other,
                };
            }
            other => {
                let Some(s) = self.state_mut() else { return };
                match other {
                    E::UserProfileChanged { name, address } => {
                        s.name = name;
                        s.address = address;
                    }
                    E::UserPasswordChanged { password_hash } => {
                        s.password_hash = password_hash;
                        s.password_version = s.password_version.saturating_add(1);
                    }
                    E::UserRolesChanged { roles } => s.roles = roles,
                    E::UserRegistered { .. } | E::UserDeactivated { .. } => {}
                }
            }
        }
    }
}

crate::aggregate!(User, "user", state_version = 1);
