//! Shipments: dispatch and delivery (admin). Shipments are created by the checkout process
//! once an order is paid.

use crate::caller::Admin;
use crate::context::RequestContext;
use crate::dto::{CommandAnswer, Fields, changed, path_id};
use crate::error::{ApiError, Problem};
use crate::json::ApiJson;
use crate::path::ApiPath;
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use domain::shipment::ShipmentCommand;
use domain::values::{Carrier, Reason, ShipmentId, TrackingNumber};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The shipments router.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(dispatch))
        .routes(routes!(deliver))
}

/// Who carries the parcel.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DispatchRequest {
    /// The carrier.
    #[schema(example = "DHL")]
    pub carrier: String,
    /// Its tracking number.
    #[schema(example = "JD014600003828")]
    pub tracking_number: String,
}

/// Hand a shipment to a carrier (admin).
#[utoipa::path(post, path = "/api/shipments/{id}/dispatch", tag = "shipments",
    request_body = DispatchRequest,
    params(("id" = uuid::Uuid, Path, description = "Shipment id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Dispatched", body = CommandAnswer),
        (status = 403, description = "Not an admin", body = Problem),
        (status = 404, description = "No such shipment", body = Problem),
        (status = 422, description = "Not pending, invalid fields", body = Problem),
    ))]
async fn dispatch(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ctx: RequestContext,
    ApiPath(id): ApiPath<String>,
    body: ApiJson<DispatchRequest>,
) -> Result<Response, ApiError> {
    let shipment: ShipmentId = path_id(&id, "shipment")?;
    let mut fields = Fields::new("");
    let carrier = fields.check("carrier", Carrier::parse(&body.value.carrier));
    let tracking = fields.check(
        "tracking_number",
        TrackingNumber::parse(&body.value.tracking_number),
    );
    fields.finish()?;
    let (Some(carrier), Some(tracking_number)) = (carrier, tracking) else {
        return Err(ApiError::Internal("fields missing after checks".into()));
    };
    let command = ShipmentCommand::Dispatch {
        carrier,
        tracking_number,
        at: ctx.at,
    };
    let meta = ctx.command(Some(caller.id), "dispatch", &body.digest);
    let outcome = state
        .shipments
        .execute(&meta, &shipment.to_string(), command)
        .await?;
    Ok(changed(shipment.as_uuid(), outcome))
}

/// How a delivery went.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct DeliverRequest {
    /// `delivered` (the default) or `failed`.
    #[serde(default)]
    pub outcome: DeliveryOutcome,
    /// Why it failed; required when `failed`.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Delivered or not.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryOutcome {
    /// The parcel arrived.
    #[default]
    Delivered,
    /// The carrier could not deliver.
    Failed,
}

/// Record a delivery, or a failed one with its reason (admin).
#[utoipa::path(post, path = "/api/shipments/{id}/deliver", tag = "shipments",
    request_body = DeliverRequest,
    params(("id" = uuid::Uuid, Path, description = "Shipment id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Recorded", body = CommandAnswer),
        (status = 403, description = "Not an admin", body = Problem),
        (status = 404, description = "No such shipment", body = Problem),
        (status = 422, description = "Not dispatched, missing reason", body = Problem),
    ))]
async fn deliver(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ctx: RequestContext,
    ApiPath(id): ApiPath<String>,
    body: ApiJson<DeliverRequest>,
) -> Result<Response, ApiError> {
    let shipment: ShipmentId = path_id(&id, "shipment")?;
    let command = match body.value.outcome {
        DeliveryOutcome::Delivered => ShipmentCommand::Deliver { at: ctx.at },
        DeliveryOutcome::Failed => {
            let reason = body.value.reason.as_deref().unwrap_or("");
            ShipmentCommand::FailDelivery {
                reason: Reason::parse(reason)?,
                at: ctx.at,
            }
        }
    };
    let meta = ctx.command(Some(caller.id), "deliver", &body.digest);
    let outcome = state
        .shipments
        .execute(&meta, &shipment.to_string(), command)
        .await?;
    Ok(changed(shipment.as_uuid(), outcome))
}
