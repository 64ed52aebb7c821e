//! Sign-in: email and password for an access token.

use crate::claims;
use crate::error::{ApiError, Problem};
use crate::json::ApiJson;
use crate::routes::users::verify;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use domain::user::User;
use domain::values::{Email, PasswordHash};
use infra::auth::Password;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The auth router.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(login))
}

/// Credentials.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    /// Email.
    #[schema(example = "ann@example.com")]
    pub email: String,
    /// Password.
    #[schema(example = "correct horse battery")]
    pub password: String,
}

/// An access token.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenAnswer {
    /// Send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until it expires.
    pub expires_in: u64,
}

/// A hash to check against when the email is unknown, so that the answer takes as long as
/// for a known one and timing does not reveal who is registered.
fn decoy() -> Option<PasswordHash> {
    static DECOY: OnceLock<Option<PasswordHash>> = OnceLock::new();
    DECOY
        .get_or_init(|| Password::parse("decoy password").ok()?.hash().ok())
        .clone()
}

/// Sign in.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenAnswer),
        (status = 401, description = "Wrong email or password, or deactivated", body = Problem),
        (status = 422, description = "Missing fields", body = Problem),
    ))]
async fn login(
    State(state): State<AppState>,
    body: ApiJson<LoginRequest>,
) -> Result<Json<TokenAnswer>, ApiError> {
    let denied = || ApiError::Unauthorized("wrong email or password".into());
    let user = match Email::parse(&body.value.email) {
        Ok(email) => match claims::holder(&state, &format!("email:{email}")).await? {
            Some(id) => Some(state.users.load(&id.to_string()).await?.aggregate),
            None => None,
        },
        Err(_) => None,
    };
    let stored = user
        .as_ref()
        .and_then(|u| u.state())
        .map(|s| s.password_hash.clone());
    let Some(hash) = stored.clone().or_else(decoy) else {
        return Err(ApiError::Internal("cannot build the decoy hash".into()));
    };
    let matches = verify(body.value.password.clone(), hash).await?;
    let (Some(user), true, true) = (user, stored.is_some(), matches) else {
        return Err(denied());
    };
    let User::Active(user) = user else {
        return Err(ApiError::Unauthorized("this account is deactivated".into()));
    };
    let now = chrono::Utc::now().timestamp();
    let access_token = state
        .tokens
        .issue(user.id, user.roles.into_iter().collect(), now)
        .map_err(ApiError::Internal)?;
    Ok(Json(TokenAnswer {
        access_token,
        token_type: "Bearer".into(),
        expires_in: state.tokens.ttl().as_secs(),
    }))
}
