//! The audit routes, for auditors and admins: an order's events, its state at a past moment
//! and its hash chains, read from the event log, never from a read model. The work is done in
//! [`crate::audit`], which the `ecommerce audit` command shares.

use crate::audit::replay::OrderAsOf;
use crate::audit::{self, AsOf, AuditEvent, Verification, cursor};
use crate::caller::Caller;
use crate::params::{List, Params, limit};
use crate::state::QueryState;
use axum::Json;
use axum::extract::State;
use domain::values::Role;
use infra::http::{ApiError, ApiPath, Problem};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The audit router.
pub fn router() -> OpenApiRouter<QueryState> {
    OpenApiRouter::new()
        .routes(routes!(order_events))
        .routes(routes!(order_state))
        .routes(routes!(verify_order))
}

/// Refuses (403) a caller who is neither auditor nor admin.
fn auditor(caller: &Caller) -> Result<(), ApiError> {
    if caller.is_admin() || caller.roles.contains(&Role::Auditor) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "audits need the auditor or admin role".into(),
        ))
    }
}

/// Paging through an order's events.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventParams {
    /// The previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Page size, 1 to 100 (default 20).
    pub limit: Option<usize>,
}

/// Every event of an order, its payment and its shipment, and the stock reservations made for
/// it, in global log order, with who caused each, when, and as part of what.
#[utoipa::path(get, path = "/api/audit/orders/{id}/events", tag = "audit",
    params(("id" = String, Path, description = "Order id"), EventParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of the order's events", body = List<AuditEvent>),
        (status = 400, description = "A bad limit or cursor", body = Problem),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Neither auditor nor admin", body = Problem),
        (status = 404, description = "No such order", body = Problem),
    ))]
async fn order_events(
    State(state): State<QueryState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    Params(params): Params<EventParams>,
) -> Result<Json<List<AuditEvent>>, ApiError> {
    auditor(&caller)?;
    let limit = limit(params.limit)?;
    let after = cursor::decode(&id, params.cursor.as_deref())?;
    let page = audit::events(state.events.as_ref(), &id, after, limit).await?;
    Ok(Json(List {
        items: page.items,
        next_cursor: page.next_after.map(|p| cursor::encode(&id, p)),
    }))
}

/// The moment to replay to; neither means now.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StateParams {
    /// A time (RFC 3339, such as `2026-11-29T10:00:00Z`; encode `+` as `%2B`): the state
    /// after the last event recorded at or before it.
    pub at: Option<String>,
    /// A version of the order stream (1 is `OrderPlaced`): the state right after it.
    pub version: Option<u64>,
}

/// The order as it was at a version or a time, replayed from the log with the aggregate's
/// own logic, with its payment and shipment at the same moment.
#[utoipa::path(get, path = "/api/audit/orders/{id}/state", tag = "audit",
    params(("id" = String, Path, description = "Order id"), StateParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The order then, and the version and position it reflects",
            body = OrderAsOf),
        (status = 400, description = "An unparsable at or version, or both given", body = Problem),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Neither auditor nor admin", body = Problem),
        (status = 404, description = "No such order", body = Problem),
        (status = 422, description = "Version 0 or past the last, or a time before the order \
            was placed", body = Problem),
    ))]
async fn order_state(
    State(state): State<QueryState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    Params(params): Params<StateParams>,
) -> Result<Json<OrderAsOf>, ApiError> {
    auditor(&caller)?;
    let as_of = AsOf::parse(params.at.as_deref(), params.version)?;
    Ok(Json(
        audit::state_as_of(state.events.as_ref(), &id, as_of).await?,
    ))
}

/// Recomputes the hash chains of the order's streams (order, payment, shipment, and the
/// products of its lines) and names the first broken event, if any.
#[utoipa::path(get, path = "/api/audit/orders/{id}/verify", tag = "audit",
    params(("id" = String, Path, description = "Order id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Whether the order's history is intact", body = Verification),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Neither auditor nor admin", body = Problem),
        (status = 404, description = "No such order", body = Problem),
    ))]
async fn verify_order(
    State(state): State<QueryState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Verification>, ApiError> {
    auditor(&caller)?;
    Ok(Json(audit::verify(state.events.as_ref(), &id).await?))
}
