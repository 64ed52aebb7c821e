//! Payments and shipments by id, for their order's owner and for admins.

use crate::caller::Caller;
use crate::consistency::MinPosition;
use crate::params::doc;
use crate::routes::orders::{keys, visible_order};
use crate::state::QueryState;
use axum::Json;
use axum::extract::State;
use infra::http::{ApiError, ApiPath, Problem};
use projections::models::payments::{PAYMENTS, PaymentDoc, Payments};
use projections::models::shipments::{SHIPMENTS, ShipmentDoc, Shipments};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The payments router.
pub fn router() -> OpenApiRouter<QueryState> {
    OpenApiRouter::new().routes(routes!(get_payment))
}

/// The shipments router.
pub fn shipments_router() -> OpenApiRouter<QueryState> {
    OpenApiRouter::new().routes(routes!(get_shipment))
}

/// A payment: status, amounts, provider reference.
#[utoipa::path(get, path = "/api/payments/{id}", tag = "payments",
    params(("id" = String, Path, description = "Payment id"),
           ("X-Min-Position" = Option<u64>, Header, description = "Read your own writes")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The payment", body = PaymentDoc),
        (status = 403, description = "Not your order's payment", body = Problem),
        (status = 404, description = "No such payment", body = Problem),
    ))]
async fn get_payment(
    State(state): State<QueryState>,
    caller: Caller,
    min: MinPosition,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<PaymentDoc>, ApiError> {
    min.wait(&state, &keys(&state, &[&Payments])).await?;
    let payments = state.versions.collection(&Payments, PAYMENTS);
    let payment: PaymentDoc = doc(state.read.get(&payments, &id).await?, "payment")?;
    visible_order(&state, &caller, &payment.order_id).await?;
    Ok(Json(payment))
}

/// A shipment with its tracking history.
#[utoipa::path(get, path = "/api/shipments/{id}", tag = "shipments",
    params(("id" = String, Path, description = "Shipment id"),
           ("X-Min-Position" = Option<u64>, Header, description = "Read your own writes")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The shipment", body = ShipmentDoc),
        (status = 403, description = "Not your order's shipment", body = Problem),
        (status = 404, description = "No such shipment", body = Problem),
    ))]
async fn get_shipment(
    State(state): State<QueryState>,
    caller: Caller,
    min: MinPosition,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ShipmentDoc>, ApiError> {
    min.wait(&state, &keys(&state, &[&Shipments])).await?;
    let shipments = state.versions.collection(&Shipments, SHIPMENTS);
    let shipment: ShipmentDoc = doc(state.read.get(&shipments, &id).await?, "shipment")?;
    visible_order(&state, &caller, &shipment.order_id).await?;
    Ok(Json(shipment))
}
