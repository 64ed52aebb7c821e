//! Payments: status, amounts and provider reference, found by id or by order.

use super::common::MoneyDoc;
use crate::runtime::{ApplyError, Docs, Key, Projection, decode, stream_id};
use domain::payment::{PaymentEvent, PaymentStatus};
use infra::event_store::RecordedEvent;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The collection.
pub const PAYMENTS: &str = "payments";

/// A payment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PaymentDoc {
    /// Id.
    pub id: String,
    /// The order paid for.
    pub order_id: String,
    /// Amount to charge.
    pub amount: MoneyDoc,
    /// Payment method token.
    pub method: String,
    /// Status word.
    pub status: String,
    /// The provider's reference, once authorized.
    pub provider_reference: Option<String>,
    /// Captured so far.
    pub captured: MoneyDoc,
    /// Refunded so far.
    pub refunded: MoneyDoc,
    /// Why it was declined.
    pub decline_reason: Option<String>,
    /// When it was requested.
    pub created_at: String,
    /// When it last changed.
    pub updated_at: String,
}

/// The payments projection.
pub struct Payments;

impl Projection for Payments {
    fn name(&self) -> &'static str {
        "payments"
    }

    fn collections(&self) -> Vec<(&'static str, Vec<&'static str>)> {
        vec![(PAYMENTS, vec!["order_id", "status", "created_at"])]
    }

    fn event_types(&self) -> Vec<&'static str> {
        PaymentEvent::SCHEMAS
            .iter()
            .map(|(name, _)| *name)
            .collect()
    }

    fn keys(&self, event: &RecordedEvent) -> Vec<Key> {
        vec![(PAYMENTS, stream_id(event).to_owned())]
    }

    fn apply(&self, event: &RecordedEvent, docs: &mut Docs) -> Result<(), ApplyError> {
        let id = stream_id(event);
        let at = event.recorded_at.to_rfc3339();
        let event = decode::<PaymentEvent>(event)?;
        if let PaymentEvent::PaymentRequested {
            order_id,
            amount,
            method,
            ..
        } = &event
        {
            let currency = amount.currency().as_str().to_owned();
            let doc = PaymentDoc {
                id: id.to_owned(),
                order_id: order_id.to_string(),
                amount: (*amount).into(),
                method: method.to_string(),
                status: PaymentStatus::Pending.as_str().to_owned(),
                provider_reference: None,
                captured: MoneyDoc::zero(&currency),
                refunded: MoneyDoc::zero(&currency),
                decline_reason: None,
                created_at: at.clone(),
                updated_at: at,
            };
            return docs.put(PAYMENTS, id, &doc);
        }
        docs.update(PAYMENTS, id, |doc: &mut PaymentDoc| {
            let status = match event {
                PaymentEvent::PaymentAuthorized { provider_reference } => {
                    doc.provider_reference = Some(provider_reference.into());
                    PaymentStatus::Authorized
                }
                PaymentEvent::PaymentDeclined { reason } => {
                    doc.decline_reason = Some(reason.into());
                    PaymentStatus::Declined
                }
                PaymentEvent::PaymentVoided { .. } => PaymentStatus::Voided,
                PaymentEvent::PaymentCaptured { amount } => {
                    doc.captured = amount.into();
                    PaymentStatus::Captured
                }
                PaymentEvent::PaymentRefunded { total_refunded, .. } => {
                    doc.refunded = total_refunded.into();
                    if doc.refunded.amount >= doc.captured.amount {
                        PaymentStatus::Refunded
                    } else {
                        PaymentStatus::PartiallyRefunded
                    }
                }
                PaymentEvent::PaymentRequested { .. } => return,
            };
            doc.status = status.as_str().to_owned();
            doc.updated_at = at;
        })
    }
}
