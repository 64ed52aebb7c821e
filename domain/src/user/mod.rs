//! Users: registration, profile, password, roles and deactivation.
//!
//! Passwords arrive already hashed and emails already normalised; uniqueness of an email is
//! the edge's concern. A deactivated user is final and accepts no further command.

mod aggregate;
#[cfg(test)]
mod tests;

pub use aggregate::{User, UserState};

use crate::values::{Address, Email, PasswordHash, PersonName, Reason, Role, UserId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use thiserror::Error;

/// What may be asked of a user.
#[derive(Debug, Clone, PartialEq)]
pub enum UserCommand {
    /// Create an account.
    Register {
        /// New id, created at the edge.
        user_id: UserId,
        /// Login email.
        email: Email,
        /// Display name.
        name: PersonName,
        /// Password hash, computed at the edge.
        password_hash: PasswordHash,
        /// Initial roles: `{Customer}` normally, `{Admin}` for the first admin.
        roles: BTreeSet<Role>,
    },
    /// Change name or address; `None` keeps the current value.
    ChangeProfile {
        /// New name.
        name: Option<PersonName>,
        /// New address.
        address: Option<Address>,
    },
    /// Replace the password hash.
    ChangePassword {
        /// New hash, computed at the edge.
        password_hash: PasswordHash,
    },
    /// Replace the roles.
    SetRoles {
        /// The full new set; must not be empty.
        roles: BTreeSet<Role>,
    },
    /// Close the account for good.
    Deactivate {
        /// Why, for the audit trail.
        reason: Reason,
    },
}

/// What happened to a user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum UserEvent {
    /// An account was created.
    UserRegistered {
        /// Id.
        user_id: UserId,
        /// Login email.
        email: Email,
        /// Display name.
        name: PersonName,
        /// Password hash.
        password_hash: PasswordHash,
        /// Roles.
        roles: BTreeSet<Role>,
    },
    /// The profile after the change.
    UserProfileChanged {
        /// Name.
        name: PersonName,
        /// Address, if any.
        address: Option<Address>,
    },
    /// A new password hash.
    UserPasswordChanged {
        /// Hash.
        password_hash: PasswordHash,
    },
    /// The roles after the change.
    UserRolesChanged {
        /// Roles.
        roles: BTreeSet<Role>,
    },
    /// The account was closed.
    UserDeactivated {
        /// Why.
        reason: Reason,
    },
}

crate::domain_event!(UserEvent {
    UserRegistered => 1,
    UserProfileChanged => 1,
    UserPasswordChanged => 1,
    UserRolesChanged => 1,
    UserDeactivated => 1,
});

/// Why a user command was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum UserError {
    /// No such user.
    #[error("user not found")]
    NotFound,
    /// Registered twice.
    #[error("user already exists")]
    AlreadyExists,
    /// Deactivated users accept no command.
    #[error("user is deactivated")]
    Deactivated,
    /// A user has at least one role.
    #[error("a user needs at least one role")]
    NoRoles,
}

impl crate::Refusal for UserError {
    fn kind(&self) -> crate::RefusalKind {
        match self {
            UserError::NotFound => crate::RefusalKind::NotFound,
            UserError::AlreadyExists => crate::RefusalKind::AlreadyExists,
            _ => crate::RefusalKind::Rejected,
        }
    }
}
