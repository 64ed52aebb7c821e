//! Sign-in: email and password for an access token.

use crate::claims;
use crate::error::{ApiError, Problem};
use crate::guard::ClientAddress;
use crate::json::ApiJson;
use crate::passwords::verify;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use domain::user::User;
use domain::values::Email;
use serde::{Deserialize, Serialize};
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

/// Sign in. Limited per client address and per account; repeated failures lock the
/// account's sign-in for a doubling time (429 with `Retry-After`).
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenAnswer),
        (status = 401, description = "Wrong email or password, or deactivated", body = Problem),
        (status = 422, description = "Missing fields", body = Problem),
        (status = 429, description = "Too many sign-ins; see Retry-After", body = Problem),
        (status = 503, description = "Too many password checks at once", body = Problem),
    ))]
async fn login(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    body: ApiJson<LoginRequest>,
) -> Result<Json<TokenAnswer>, ApiError> {
    let denied = || ApiError::Unauthorized("wrong email or password".into());
    let throttle = &state.guard.throttle;
    throttle.admit(address, &body.value.email, true)?;
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
    // An unknown email is checked against a decoy, so that timing does not tell who is
    // registered.
    let matches = verify(&state, &body.value.password, stored).await?;
    let (Some(user), true) = (user, matches) else {
        throttle.failed(&body.value.email);
        return Err(denied());
    };
    throttle.succeeded(&body.value.email);
    let User::Active(user) = user else {
        return Err(ApiError::Unauthorized("this account is deactivated".into()));
    };
    let now = chrono::Utc::now().timestamp();
    let access_token = state
        .tokens
        .issue(
            user.id,
            user.roles.into_iter().collect(),
            user.password_version,
            now,
        )
        .map_err(ApiError::Internal)?;
    Ok(Json(TokenAnswer {
        access_token,
        token_type: "Bearer".into(),
        expires_in: state.tokens.ttl().as_secs(),
    }))
}
