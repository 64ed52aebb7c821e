//! Orders: cancellation by their owner or an admin. Orders are placed by the checkout
//! process from a checked-out cart, not through this router.

use crate::caller::Caller;
use crate::context::RequestContext;
use crate::dto::{CommandAnswer, accepted, path_id};
use crate::error::{ApiError, Problem};
use crate::json::ApiJson;
use crate::path::ApiPath;
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use domain::order::OrderCommand;
use domain::values::{OrderId, Reason, Role};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The orders router.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(cancel))
}

/// Why an order is cancelled.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CancelRequest {
    /// For the audit trail.
    #[schema(example = "ordered by mistake")]
    pub reason: String,
}

/// Cancel an order: its owner before it ships, an admin until it is delivered. Stock is
/// released, a payment refunded and a pending shipment cancelled by the checkout process (202).
#[utoipa::path(post, path = "/api/orders/{id}/cancel", tag = "orders", request_body = CancelRequest,
    params(("id" = uuid::Uuid, Path, description = "Order id")),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Cancelled; compensation follows", body = CommandAnswer),
        (status = 403, description = "Not your order", body = Problem),
        (status = 404, description = "No such order", body = Problem),
        (status = 422, description = "Already shipped, or rejected", body = Problem),
    ))]
async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    ctx: RequestContext,
    ApiPath(id): ApiPath<String>,
    body: ApiJson<CancelRequest>,
) -> Result<Response, ApiError> {
    let order: OrderId = path_id(&id, "order")?;
    let reason = Reason::parse(&body.value.reason)?;
    let loaded = state.orders.load_cached(&order.to_string()).await?;
    let owner = loaded
        .aggregate
        .state()
        .map(|o| o.customer)
        .ok_or_else(|| ApiError::NotFound(format!("no order {order}")))?;
    caller.owner_or_admin(owner)?;
    // Owners cancel before shipping; admins also while a parcel is on its way. The choice
    // rests on the role alone, so a stale cached status cannot pick the wrong command.
    let command = if caller.has(Role::Admin) {
        OrderCommand::AdminCancel { reason }
    } else {
        OrderCommand::Cancel { reason }
    };
    let meta = ctx.command(Some(caller.id), "cancel", &body.digest);
    let outcome = state
        .orders
        .execute(&meta, &order.to_string(), command)
        .await?;
    Ok(accepted(order.as_uuid(), outcome))
}
