//! Compensation when an order is cancelled, whatever stage it reached: its reservations are
//! released, a captured payment is refunded, an authorization voided, a pending payment
//! declined, and a shipment not yet dispatched cancelled. Each compensation is an event of its
//! own, caused by the cancellation (its metadata names it).

use super::flow::{Flow, Waiting, reason};
use super::steps::{FlowError, caused_by, load, payment_of, send, shipment_of};
use domain::order::{Order, OrderStatus};
use domain::payment::{Payment, PaymentCommand, PaymentStatus};
use domain::shipment::{Shipment, ShipmentCommand, ShipmentStatus};
use domain::values::OrderId;
use infra::event_store::RecordedEvent;

impl Flow {
    /// Undoes what the checkout did for a cancelled order.
    pub async fn cancelled(
        &self,
        event: &RecordedEvent,
        id: OrderId,
    ) -> Result<Waiting, FlowError> {
        let order: Order = load(&self.state.orders, &id.to_string()).await?;
        let Some(order) = order.state().cloned() else {
            return Ok(Waiting::Same);
        };
        if order.status != OrderStatus::Cancelled {
            return Ok(Waiting::Ended(id));
        }
        let why = order
            .closing_reason
            .as_ref()
            .map_or("order cancelled", |r| r.as_str())
            .to_owned();
        // Shipped goods left with their reservations; anything else held is released.
        self.release(event, &order, &why).await?;
        self.settle_payment(event, id, &why).await?;
        let shipment = shipment_of(id);
        let state = load::<Shipment>(&self.state.shipments, &shipment.to_string()).await?;
        if state
            .state()
            .is_some_and(|s| s.status == ShipmentStatus::Pending)
        {
            let cancel = ShipmentCommand::Cancel {
                reason: reason(&why),
            };
            send(
                &self.state.shipments,
                &caused_by(event, "cancel-shipment"),
                &shipment.to_string(),
                cancel,
            )
            .await?;
        }
        Ok(Waiting::Ended(id))
    }

    async fn settle_payment(
        &self,
        event: &RecordedEvent,
        id: OrderId,
        why: &str,
    ) -> Result<(), FlowError> {
        let payment = payment_of(id);
        let key = payment.to_string();
        let Some(state) = load::<Payment>(&self.state.payments, &key)
            .await?
            .state()
            .cloned()
        else {
            return Ok(());
        };
        let reference = state
            .provider_reference
            .as_ref()
            .map(|r| r.as_str().to_owned())
            .unwrap_or_default();
        match state.status {
            PaymentStatus::Captured | PaymentStatus::PartiallyRefunded => {
                let amount = state
                    .refundable()
                    .map_err(|e| FlowError::Retry(e.to_string()))?;
                let refund_key = format!("refund:{}", event.event_id);
                self.with_retries(|| self.provider.refund(&refund_key, &reference, &amount))
                    .await?;
                let refund = PaymentCommand::Refund {
                    amount,
                    reason: reason(why),
                };
                send(
                    &self.state.payments,
                    &caused_by(event, "refund"),
                    &key,
                    refund,
                )
                .await?;
            }
            PaymentStatus::Authorized => {
                let void_key = format!("void:{key}");
                self.with_retries(|| self.provider.void(&void_key, &reference))
                    .await?;
                let void = PaymentCommand::Void {
                    reason: reason(why),
                };
                send(&self.state.payments, &caused_by(event, "void"), &key, void).await?;
            }
            PaymentStatus::Pending => {
                let decline = PaymentCommand::Decline {
                    reason: reason(why),
                };
                send(
                    &self.state.payments,
                    &caused_by(event, "decline"),
                    &key,
                    decline,
                )
                .await?;
            }
            PaymentStatus::Declined | PaymentStatus::Refunded | PaymentStatus::Voided => {}
        }
        Ok(())
    }
}
