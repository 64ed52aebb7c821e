//! Payments: refunds (admin). Payments are requested, authorized and captured by the
//! checkout process.

use crate::caller::Admin;
use crate::context::RequestContext;
use crate::dto::{CommandAnswer, MoneyDto, changed, path_id};
use crate::error::{ApiError, Problem};
use crate::json::ApiJson;
use crate::path::ApiPath;
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use domain::payment::PaymentCommand;
use domain::values::{PaymentId, Reason};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The payments router.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(refund))
}

/// A refund.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RefundRequest {
    /// How much; absent refunds everything not refunded yet.
    #[serde(default)]
    pub amount: Option<MoneyDto>,
    /// Why.
    #[schema(example = "damaged in transit")]
    pub reason: String,
}

/// Refund a captured payment, fully or partly (admin).
#[utoipa::path(post, path = "/api/payments/{id}/refund", tag = "payments",
    request_body = RefundRequest,
    params(("id" = uuid::Uuid, Path, description = "Payment id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Refunded", body = CommandAnswer),
        (status = 403, description = "Not an admin", body = Problem),
        (status = 404, description = "No such payment", body = Problem),
        (status = 422, description = "Not captured, more than captured, other currency", body = Problem),
    ))]
async fn refund(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ctx: RequestContext,
    ApiPath(id): ApiPath<String>,
    body: ApiJson<RefundRequest>,
) -> Result<Response, ApiError> {
    let payment: PaymentId = path_id(&id, "payment")?;
    let reason = Reason::parse(&body.value.reason)?;
    let loaded = state.payments.load(&payment.to_string()).await?;
    let current = loaded
        .aggregate
        .state()
        .cloned()
        .ok_or_else(|| ApiError::NotFound(format!("no payment {payment}")))?;
    let amount = match &body.value.amount {
        Some(amount) => amount.parse("amount")?,
        None => current
            .refundable()
            .map_err(|e| ApiError::Internal(e.to_string()))?,
    };
    let command = PaymentCommand::Refund { amount, reason };
    let meta = ctx.command(Some(caller.id), "refund", &body.digest);
    // The rules first, then the provider (keyed by the command id, so a retried request
    // refunds once), then the record.
    // A retried request (same Idempotency-Key) goes straight to its first answer.
    let command_id = meta.metadata.command_id.unwrap_or_else(uuid::Uuid::now_v7);
    let retried = meta.keyed && state.store.command_outcome(command_id).await?.is_some();
    if !retried {
        domain::Decider::decide(&loaded.aggregate, command.clone()).map_err(|refusal| {
            cqrs_es::AggregateError::<domain::payment::PaymentError>::UserError(refusal)
        })?;
        let reference = current
            .provider_reference
            .as_ref()
            .map(|r| r.as_str())
            .unwrap_or_default();
        state
            .provider
            .refund(&format!("refund:{command_id}"), reference, &amount)
            .await
            .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    }
    let outcome = state
        .payments
        .execute(&meta, &payment.to_string(), command)
        .await?;
    Ok(changed(payment.as_uuid(), outcome))
}
