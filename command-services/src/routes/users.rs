//! Users: registration, the caller's own profile and password, and what admins do to users.

use crate::caller::{Admin, Caller};
use crate::claims;
use crate::context::RequestContext;
use crate::dto::{AddressDto, CommandAnswer, Fields, changed, created, path_id};
use crate::error::{ApiError, Problem};
use crate::executor::precheck;
use crate::executor::{CommandMeta, Outcome};
use crate::guard::ClientAddress;
use crate::json::ApiJson;
use crate::passwords;
use crate::path::ApiPath;
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use domain::user::{User, UserCommand};
use domain::values::{Email, PasswordHash, PersonName, Reason, Role, UserId};
use infra::auth::Password;
use serde::Deserialize;
use std::collections::BTreeSet;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The users router.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(update_me))
        .routes(routes!(set_roles))
        .routes(routes!(deactivate))
}

/// A registration.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RegisterRequest {
    /// Email; compared case-insensitively.
    #[schema(example = "ann@example.com")]
    pub email: String,
    /// 8 to 128 characters.
    #[schema(example = "correct horse battery")]
    pub password: String,
    /// Display name.
    #[schema(example = "Ann Lee")]
    pub name: String,
}

/// Register a customer account.
#[utoipa::path(post, path = "/api/users", tag = "users", request_body = RegisterRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses(
        (status = 201, description = "Registered", body = CommandAnswer),
        (status = 409, description = "Email already registered", body = Problem),
        (status = 422, description = "Invalid fields", body = Problem),
        (status = 429, description = "Too many registrations from this address", body = Problem),
        (status = 503, description = "Too many password hashes at once", body = Problem),
    ))]
async fn register(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    ctx: RequestContext,
    body: ApiJson<RegisterRequest>,
) -> Result<Response, ApiError> {
    let mut fields = Fields::new("");
    let email = fields.check("email", Email::parse(&body.value.email));
    let name = fields.check("name", PersonName::parse(&body.value.name));
    let password = fields.check(
        "password",
        Password::parse_for(&body.value.password, &body.value.email),
    );
    fields.finish()?;
    let (Some(email), Some(name), Some(password)) = (email, name, password) else {
        return Err(ApiError::Internal("fields missing after checks".into()));
    };
    state.guard.throttle.admit(address, email.as_str(), false)?;
    let id = UserId::from_uuid(ctx.new_id(None, "user"));
    let (claim, user) = (
        ctx.command(None, "claim", &body.digest),
        ctx.command(None, "register", &body.digest),
    );
    let existing = match passwords::retried(&state, &claim).await? {
        true => passwords::user_by_email(&state, &email).await?,
        false => None,
    };
    let hash = match existing {
        // A retry whose first run registered this email: it must carry the same password.
        Some(first) => {
            passwords::same_as_first(&state, &body.value.password, &first.password_hash).await?;
            first.password_hash
        }
        None => passwords::hash(&state, password).await?,
    };
    let roles = BTreeSet::from([Role::Customer]);
    let (id, outcome) =
        register_user(&state, (&claim, &user), id, email, name, hash, roles).await?;
    Ok(created("/api/users", id.as_uuid(), outcome))
}

/// Claims the email, then registers the user; exactly one of concurrent registrations of an
/// email wins. Returns the id the user was registered under.
pub async fn register_user(
    state: &AppState,
    (claim, register): (&CommandMeta, &CommandMeta),
    id: UserId,
    email: Email,
    name: PersonName,
    password_hash: PasswordHash,
    roles: BTreeSet<Role>,
) -> Result<(UserId, Outcome), ApiError> {
    let taken = "this email is already registered";
    let key = format!("email:{email}");
    let mut command = UserCommand::Register {
        user_id: id,
        email,
        name,
        password_hash,
        roles,
    };
    precheck::<User>(&command)?;
    let exists = |holder| async move { user_exists(state, holder).await };
    let id =
        UserId::from_uuid(claims::claim(state, claim, &key, id.as_uuid(), taken, exists).await?);
    if let UserCommand::Register { user_id, .. } = &mut command {
        *user_id = id;
    }
    match state
        .users
        .execute(register, &id.to_string(), command)
        .await
    {
        Ok(outcome) => Ok((id, outcome)),
        Err(ApiError::Refused { .. }) => Err(ApiError::Conflict {
            detail: taken.into(),
            current_version: None,
        }),
        Err(other) => Err(other),
    }
}

async fn user_exists(state: &AppState, id: uuid::Uuid) -> Result<bool, ApiError> {
    Ok(state.users.load(&id.to_string()).await?.version > 0)
}

/// A new password, proven by the current one.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordChange {
    /// The password now.
    pub current: String,
    /// The password to set (8 to 128 characters).
    pub new: String,
}

/// Changes to the caller's own account; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateMeRequest {
    /// New display name.
    #[serde(default)]
    pub name: Option<String>,
    /// New default address.
    #[serde(default)]
    pub address: Option<AddressDto>,
    /// New password.
    #[serde(default)]
    pub password: Option<PasswordChange>,
}

/// Change your name, address or password. A new password revokes every access token issued
/// before it (this one too): sign in again.
#[utoipa::path(patch, path = "/api/users/me", tag = "users", request_body = UpdateMeRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Changed", body = CommandAnswer),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Wrong current password", body = Problem),
        (status = 422, description = "Invalid fields or nothing to change", body = Problem),
        (status = 429, description = "Too many wrong current passwords", body = Problem),
    ))]
async fn update_me(
    State(state): State<AppState>,
    caller: Caller,
    ClientAddress(client): ClientAddress,
    ctx: RequestContext,
    body: ApiJson<UpdateMeRequest>,
) -> Result<Response, ApiError> {
    let request = &body.value;
    let mut fields = Fields::new("");
    let name = request
        .name
        .as_deref()
        .and_then(|n| fields.check("name", PersonName::parse(n)));
    let address = match &request.address {
        Some(address) => fields.take(address.parse("address"))?,
        None => None,
    };
    let new_password = request
        .password
        .as_ref()
        .and_then(|p| fields.check("password.new", Password::parse(&p.new)));
    fields.finish()?;
    if name.is_none() && address.is_none() && new_password.is_none() {
        return Err(ApiError::field("body", "nothing to change"));
    }
    let id = caller.id.to_string();
    let mut outcome = None;
    if let (Some(change), Some(new_password)) = (&request.password, new_password) {
        let user = state.users.load(&id).await?;
        let (current, email) = user
            .aggregate
            .state()
            .map(|s| (s.password_hash.clone(), s.email.to_string()))
            .ok_or_else(|| ApiError::NotFound("no such user".into()))?;
        let meta = ctx.command(Some(caller.id), "password", &body.digest);
        let password_hash = if passwords::retried(&state, &meta).await? {
            // The first run changed it: the password now must be the one this retry sets.
            passwords::same_as_first(&state, &change.new, &current).await?;
            current
        } else {
            Password::parse_for(&change.new, &email)
                .map_err(|e| ApiError::field("password.new", e.to_string()))?;
            // A stolen token must not let anyone guess the password at full speed.
            let throttle = &state.guard.throttle;
            throttle.admit(client, &email, true)?;
            if !passwords::verify(&state, &change.current, Some(current)).await? {
                throttle.failed(&email);
                return Err(ApiError::Forbidden("the current password is wrong".into()));
            }
            throttle.succeeded(&email);
            passwords::hash(&state, new_password).await?
        };
        let command = UserCommand::ChangePassword { password_hash };
        outcome = Some(state.users.execute(&meta, &id, command).await?);
    }
    if name.is_some() || address.is_some() {
        let meta = ctx.command(Some(caller.id), "profile", &body.digest);
        let command = UserCommand::ChangeProfile { name, address };
        outcome = Some(state.users.execute(&meta, &id, command).await?);
    }
    let outcome = outcome.ok_or_else(|| ApiError::Internal("no change applied".into()))?;
    Ok(changed(caller.id.as_uuid(), outcome))
}

/// The roles a user should hold.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RolesRequest {
    /// Any of `customer`, `admin`, `auditor`; at least one.
    #[schema(example = json!(["customer", "auditor"]))]
    pub roles: Vec<String>,
}

/// Set a user's roles (admin).
#[utoipa::path(put, path = "/api/users/{id}/roles", tag = "users", request_body = RolesRequest,
    params(("id" = uuid::Uuid, Path, description = "User id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Roles set", body = CommandAnswer),
        (status = 403, description = "Not an admin", body = Problem),
        (status = 404, description = "No such user", body = Problem),
        (status = 422, description = "Unknown or no roles", body = Problem),
    ))]
async fn set_roles(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ctx: RequestContext,
    ApiPath(id): ApiPath<String>,
    body: ApiJson<RolesRequest>,
) -> Result<Response, ApiError> {
    let user: UserId = path_id(&id, "user")?;
    let roles = body
        .value
        .roles
        .iter()
        .map(|r| r.parse::<Role>())
        .collect::<Result<BTreeSet<_>, _>>()?;
    if user == caller.id && !roles.contains(&Role::Admin) {
        return Err(ApiError::field(
            "roles",
            "you cannot remove your own admin role",
        ));
    }
    let meta = ctx.command(Some(caller.id), "roles", &body.digest);
    let outcome = state
        .users
        .execute(&meta, &user.to_string(), UserCommand::SetRoles { roles })
        .await?;
    Ok(changed(user.as_uuid(), outcome))
}

/// Why a user is deactivated.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DeactivateRequest {
    /// For the audit trail.
    #[schema(example = "fraudulent orders")]
    pub reason: String,
}

/// Deactivate a user (admin): they can no longer sign in, and their tokens stop working.
#[utoipa::path(post, path = "/api/users/{id}/deactivate", tag = "users",
    request_body = DeactivateRequest,
    params(("id" = uuid::Uuid, Path, description = "User id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Deactivated", body = CommandAnswer),
        (status = 403, description = "Not an admin", body = Problem),
        (status = 404, description = "No such user", body = Problem),
        (status = 422, description = "Already deactivated, or yourself", body = Problem),
    ))]
async fn deactivate(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ctx: RequestContext,
    ApiPath(id): ApiPath<String>,
    body: ApiJson<DeactivateRequest>,
) -> Result<Response, ApiError> {
    let user: UserId = path_id(&id, "user")?;
    let reason = Reason::parse(&body.value.reason)?;
    if user == caller.id {
        return Err(ApiError::field("id", "you cannot deactivate yourself"));
    }
    let meta = ctx.command(Some(caller.id), "deactivate", &body.digest);
    let outcome = state
        .users
        .execute(&meta, &user.to_string(), UserCommand::Deactivate { reason })
        .await?;
    Ok(changed(user.as_uuid(), outcome))
}
