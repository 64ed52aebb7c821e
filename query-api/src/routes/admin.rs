//! Projection operations for admins: each projection's status, and blue/green rebuilds that
//! run in this process while queries keep answering from the live version.

use crate::caller::Caller;
use crate::state::QueryState;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::values::Role;
use infra::http::{ApiError, ApiPath, Problem};
use projections::models;
use projections::ops::rebuild::{Outcome, Rebuild};
use projections::ops::status::{ProjectionStatus, status};
use projections::ops::{self, OpsError};
use serde::Serialize;
use tokio::sync::watch;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The admin router.
pub fn router() -> OpenApiRouter<QueryState> {
    OpenApiRouter::new()
        .routes(routes!(list_projections))
        .routes(routes!(rebuild))
}

/// Every projection's status.
#[derive(Debug, Serialize, ToSchema)]
pub struct Projections {
    /// One item per projection.
    pub items: Vec<ProjectionStatus>,
}

/// A rebuild that started.
#[derive(Debug, Serialize, ToSchema)]
pub struct RebuildStarted {
    /// The projection.
    pub name: String,
    /// The live version, read until the switch.
    pub from: u32,
    /// The version being built.
    pub to: u32,
    /// Where the build starts (above 0: an interrupted rebuild resumes).
    pub start: u64,
}

fn api_error(error: OpsError) -> ApiError {
    match error {
        OpsError::Unknown(name) => ApiError::NotFound(format!("no projection is named {name:?}")),
        OpsError::Busy(detail) => ApiError::Conflict {
            detail,
            current_version: None,
        },
        OpsError::Refused(detail) => ApiError::Invalid(vec![infra::http::FieldError {
            field: "name".into(),
            message: detail,
        }]),
        OpsError::Events(e) => e.into(),
        OpsError::Read(e) => e.into(),
        OpsError::Projector(e) => ApiError::Internal(e.to_string()),
    }
}

/// Each projection's version, position, the head of the log, lag and state (admin).
#[utoipa::path(get, path = "/api/admin/projections", tag = "operations",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One item per projection", body = Projections),
        (status = 403, description = "Not an admin", body = Problem),
    ))]
async fn list_projections(
    State(state): State<QueryState>,
    caller: Caller,
) -> Result<Json<Projections>, ApiError> {
    caller.require(Role::Admin)?;
    let items = status(&state.ops, state.events.as_ref(), &models::all())
        .await
        .map_err(api_error)?;
    Ok(Json(Projections { items }))
}

/// Rebuild a projection beside the live one, then switch readers to it (admin). Answers at
/// once; `GET /api/admin/projections` shows the progress.
#[utoipa::path(post, path = "/api/admin/projections/{name}/rebuild", tag = "operations",
    params(("name" = String, Path, description = "Projection name, such as `catalog`")),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Started (or resumed)", body = RebuildStarted),
        (status = 403, description = "Not an admin", body = Problem),
        (status = 404, description = "No such projection", body = Problem),
        (status = 409, description = "A rebuild of it is already running", body = Problem),
    ))]
async fn rebuild(
    State(state): State<QueryState>,
    caller: Caller,
    ApiPath(name): ApiPath<String>,
) -> Result<Response, ApiError> {
    caller.require(Role::Admin)?;
    let projection = ops::find(&name).map_err(api_error)?;
    let owner = format!("rebuild-{}", uuid::Uuid::now_v7());
    let mut job = Rebuild::new(projection, state.events.clone(), state.ops.clone(), owner);
    job.versions = Some(state.versions.clone());
    job.positions = state.positions.clone();
    let plan = job.plan().await.map_err(api_error)?;
    tracing::info!(projection = %name, from = plan.from, to = plan.to, by = %caller.id, "rebuild");
    tokio::spawn(async move {
        // Nothing stops it but the process; a restart resumes it from its checkpoint.
        let (_keep, stop) = watch::channel(false);
        match job.run(plan, |_| {}, stop).await {
            Ok(Outcome::Switched { to, position, .. }) => {
                tracing::info!(version = to, position, "rebuild finished")
            }
            Ok(Outcome::Interrupted { .. }) => {}
            Err(e) => tracing::error!(error = %e, "rebuild stopped"),
        }
    });
    let body = RebuildStarted {
        name,
        from: plan.from,
        to: plan.to,
        start: plan.start,
    };
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, "/api/admin/projections")],
        Json(body),
    )
        .into_response())
}
