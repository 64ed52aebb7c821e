//! The first admin: created from configuration or by `ecommerce users create-admin`, never
//! from a built-in password.

use crate::claims;
use crate::error::ApiError;
use crate::executor::CommandMeta;
use crate::routes::users::{hash, register_user};
use crate::state::AppState;
use domain::user::UserCommand;
use domain::values::{Email, PersonName, Role, UserId};
use infra::auth::Password;
use std::collections::BTreeSet;

/// What [`ensure_admin`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminOutcome {
    /// A new admin account was registered.
    Created(UserId),
    /// The account existed; it holds the admin role now.
    Promoted(UserId),
    /// The account existed and was already an admin.
    AlreadyAdmin(UserId),
}

/// Makes sure an admin account with this email exists: registers it with `password`, or
/// gives an existing account the admin role (its password is left as it is).
pub async fn ensure_admin(
    state: &AppState,
    email: &str,
    password: &str,
) -> Result<AdminOutcome, ApiError> {
    let email = Email::parse(email)?;
    let actor = "system:create-admin";
    if let Some(id) = claims::holder(state, &format!("email:{email}")).await? {
        let user = state.users.load(&id.to_string()).await?;
        if let Some(existing) = user.aggregate.state() {
            let id = existing.id;
            if existing.roles.contains(&Role::Admin) {
                return Ok(AdminOutcome::AlreadyAdmin(id));
            }
            let mut roles = existing.roles.clone();
            roles.insert(Role::Admin);
            let command = UserCommand::SetRoles { roles };
            state
                .users
                .execute(&CommandMeta::system(actor), &id.to_string(), command)
                .await?;
            return Ok(AdminOutcome::Promoted(id));
        }
    }
    let password = hash(Password::parse(password)?).await?;
    let name = PersonName::parse("Administrator")?;
    let id = UserId::from_uuid(uuid::Uuid::now_v7());
    let (claim, register) = (CommandMeta::system(actor), CommandMeta::system(actor));
    let roles = BTreeSet::from([Role::Admin]);
    let (id, _) =
        register_user(state, (&claim, &register), id, email, name, password, roles).await?;
    Ok(AdminOutcome::Created(id))
}
