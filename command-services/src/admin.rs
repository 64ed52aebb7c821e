//! The first admin, and roles granted by an operator.
//!
//! Creating an admin only ever creates a new account with the operator's password: an
//! account that exists (perhaps registered by someone else, with their password) is never
//! elevated by it. Promoting an existing account is a separate, explicit operator step,
//! [`grant_role`], recorded in the log with who did it.

use crate::error::ApiError;
use crate::executor::{CommandMeta, Outcome};
use crate::passwords::{hash, user_by_email as find, verify};
use crate::routes::users::register_user;
use crate::state::AppState;
use domain::user::{User, UserCommand, UserState};
use domain::values::{Email, PersonName, Role, UserId};
use infra::auth::Password;
use std::collections::BTreeSet;

/// What [`create_admin`] found or did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminOutcome {
    /// A new admin account was registered.
    Created(UserId),
    /// An admin with this email and this very password exists; nothing changed.
    AlreadyAdmin(UserId),
    /// An account with this email exists and is not an admin, or its password is another:
    /// nothing changed.
    Exists(UserId),
}

/// Registers a new admin account with `password`, unless the email is taken: then the
/// account is left exactly as it is, and the outcome says whether it is an admin that the
/// operator's password opens. The password policy applies to a new account only, so a
/// configured admin that exists keeps working when the policy tightens.
pub async fn create_admin(
    state: &AppState,
    email: &str,
    plain: &str,
) -> Result<AdminOutcome, ApiError> {
    let email = Email::parse(email)?;
    if let Some(existing) = find(state, &email).await? {
        return existing_outcome(state, &existing, plain).await;
    }
    let password = Password::parse_for(plain, email.as_str())?;
    let actor = "system:create-admin";
    let password_hash = hash(state, password).await?;
    let name = PersonName::parse("Administrator")?;
    let id = UserId::from_uuid(uuid::Uuid::now_v7());
    let (claim, register) = (CommandMeta::system(actor), CommandMeta::system(actor));
    let roles = BTreeSet::from([Role::Admin]);
    match register_user(
        state,
        (&claim, &register),
        id,
        email.clone(),
        name,
        password_hash,
        roles,
    )
    .await
    {
        Ok((id, _)) => Ok(AdminOutcome::Created(id)),
        // Registered by someone else between the check and the claim: still theirs.
        Err(ApiError::Conflict { .. }) => match find(state, &email).await? {
            Some(existing) => Ok(AdminOutcome::Exists(existing.id)),
            None => Err(ApiError::Conflict {
                detail: "this email was claimed concurrently; retry".into(),
                current_version: None,
            }),
        },
        Err(other) => Err(other),
    }
}

async fn existing_outcome(
    state: &AppState,
    existing: &UserState,
    plain: &str,
) -> Result<AdminOutcome, ApiError> {
    if !existing.roles.contains(&Role::Admin) {
        return Ok(AdminOutcome::Exists(existing.id));
    }
    let opens = verify(state, plain, Some(existing.password_hash.clone())).await?;
    Ok(if opens {
        AdminOutcome::AlreadyAdmin(existing.id)
    } else {
        AdminOutcome::Exists(existing.id)
    })
}

/// What [`grant_role`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantOutcome {
    /// The role was added.
    Granted(UserId, Outcome),
    /// The account held it already.
    AlreadyHeld(UserId),
}

/// Adds `role` to the account with `email`, recording `by` as who did it. The change is
/// appended at the version it was decided on, so a concurrent role change is never undone
/// (409: run it again).
pub async fn grant_role(
    state: &AppState,
    email: &str,
    role: Role,
    by: &str,
) -> Result<GrantOutcome, ApiError> {
    let email = Email::parse(email)?;
    let Some(existing) = find(state, &email).await? else {
        return Err(ApiError::NotFound(format!(
            "no account has the email {email}"
        )));
    };
    let id = existing.id.to_string();
    let loaded = state.users.load(&id).await?;
    let current = match &loaded.aggregate {
        User::Active(current) => current,
        User::Deactivated(_) => {
            return Err(ApiError::field("email", "this account is deactivated"));
        }
        User::Unknown => {
            return Err(ApiError::NotFound(format!(
                "no account has the email {email}"
            )));
        }
    };
    if current.roles.contains(&role) {
        return Ok(GrantOutcome::AlreadyHeld(existing.id));
    }
    let mut roles = current.roles.clone();
    roles.insert(role);
    let mut meta = CommandMeta::system(by);
    meta.expected = Some(loaded.version);
    let outcome = state
        .users
        .execute(&meta, &id, UserCommand::SetRoles { roles })
        .await?;
    Ok(GrantOutcome::Granted(existing.id, outcome))
}
