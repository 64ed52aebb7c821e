//! The caller's own profile.

use crate::caller::Caller;
use crate::consistency::MinPosition;
use crate::params::doc;
use crate::state::QueryState;
use axum::Json;
use axum::extract::State;
use infra::http::{ApiError, Problem};
use projections::models::users::{USERS, UserDoc, Users};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The users router.
pub fn router() -> OpenApiRouter<QueryState> {
    OpenApiRouter::new().routes(routes!(me))
}

/// Your profile: email, name, roles, address.
#[utoipa::path(get, path = "/api/users/me", tag = "users",
    params(("X-Min-Position" = Option<u64>, Header, description = "Read your own writes")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The profile", body = UserDoc),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 404, description = "Not projected yet: retry with X-Min-Position", body = Problem),
    ))]
async fn me(
    State(state): State<QueryState>,
    caller: Caller,
    min: MinPosition,
) -> Result<Json<UserDoc>, ApiError> {
    min.wait(&state, &[state.versions.key(&Users)]).await?;
    let users = state.versions.collection(&Users, USERS);
    Ok(Json(doc(
        state.read.get(&users, &caller.id).await?,
        "profile",
    )?))
}
