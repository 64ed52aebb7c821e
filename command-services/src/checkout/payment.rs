//! The payment step of a checkout: once the stock is held, the payment is requested and
//! authorized through the provider (transient failures retried with backoff), then captured;
//! the order is marked paid and its shipment created. A decline rejects the order; a provider
//! unavailable past the retries cancels it. Each step is safe to repeat after a crash.

use super::flow::{Flow, Waiting, reason};
use super::provider::{Authorization, ProviderError};
use super::steps::{FlowError, caused_by, payment_of, send, shipment_of};
use domain::order::{OrderCommand, OrderState, OrderStatus};
use domain::payment::PaymentCommand;
use domain::shipment::ShipmentCommand;
use domain::values::{OrderId, ProviderReference};
use infra::event_store::RecordedEvent;

/// The statuses from which the payment step goes on (a replay after a crash resumes it).
const PAYING: &[OrderStatus] = &[
    OrderStatus::StockReserved,
    OrderStatus::PaymentAuthorized,
    OrderStatus::Paid,
];

impl Flow {
    /// Requests, authorizes and captures the payment, then creates the shipment.
    pub async fn stock_reserved(
        &self,
        event: &RecordedEvent,
        id: OrderId,
    ) -> Result<Waiting, FlowError> {
        let Some(order) = self.order_in(id, PAYING).await? else {
            return Ok(Waiting::Same);
        };
        let payment = payment_of(id);
        let pay_key = payment.to_string();
        let request = PaymentCommand::Request {
            payment_id: payment,
            order_id: id,
            amount: order.total,
            method: order.payment_method.clone(),
        };
        send(
            &self.state.payments,
            &caused_by(event, "request"),
            &pay_key,
            request,
        )
        .await?;
        match self.authorize(&order, &pay_key).await? {
            Some(Authorization::Approved { reference }) => {
                self.pay(event, &order, &reference).await
            }
            Some(Authorization::Declined { reason: why }) => {
                let decline = PaymentCommand::Decline {
                    reason: reason(&why),
                };
                send(
                    &self.state.payments,
                    &caused_by(event, "declined"),
                    &pay_key,
                    decline,
                )
                .await?;
                // The order's rejection releases its stock when handled.
                let command = OrderCommand::DeclinePayment {
                    payment_id: payment,
                    reason: reason(&why),
                };
                self.order(event, id, "order-declined", command).await?;
                Ok(Waiting::Ended(id))
            }
            None => {
                // The provider never answered, or the order closed while we retried.
                let why = "payment provider unavailable";
                let decline = PaymentCommand::Decline {
                    reason: reason(why),
                };
                send(
                    &self.state.payments,
                    &caused_by(event, "unavailable"),
                    &pay_key,
                    decline,
                )
                .await?;
                self.order(
                    event,
                    id,
                    "cancel",
                    OrderCommand::Cancel {
                        reason: reason(why),
                    },
                )
                .await?;
                Ok(Waiting::Same)
            }
        }
    }

    /// Records the authorization, captures, marks the order paid and creates its shipment.
    async fn pay(
        &self,
        event: &RecordedEvent,
        order: &OrderState,
        reference: &str,
    ) -> Result<Waiting, FlowError> {
        let (id, payment) = (order.id, payment_of(order.id));
        let pay_key = payment.to_string();
        let provider_reference = ProviderReference::parse(reference)
            .map_err(|e| FlowError::Retry(format!("provider reference: {e}")))?;
        let authorized = PaymentCommand::Authorize { provider_reference };
        send(
            &self.state.payments,
            &caused_by(event, "authorized"),
            &pay_key,
            authorized,
        )
        .await?;
        self.order(
            event,
            id,
            "order-authorized",
            OrderCommand::AuthorizePayment {
                payment_id: payment,
            },
        )
        .await?;
        if self.closed(id).await? {
            // Cancelled meanwhile: its compensation voids the authorization.
            return Ok(Waiting::Same);
        }
        let capture_key = format!("capture:{pay_key}");
        self.with_retries(|| self.provider.capture(&capture_key, reference, &order.total))
            .await?;
        send(
            &self.state.payments,
            &caused_by(event, "captured"),
            &pay_key,
            PaymentCommand::Capture {},
        )
        .await?;
        self.order(
            event,
            id,
            "paid",
            OrderCommand::MarkPaid {
                payment_id: payment,
            },
        )
        .await?;
        if self.closed(id).await? {
            // Cancelled meanwhile: its compensation refunds the capture.
            return Ok(Waiting::Same);
        }
        let shipment = shipment_of(id);
        let create = ShipmentCommand::Create {
            shipment_id: shipment,
            order_id: id,
            address: order.shipping_address.clone(),
        };
        send(
            &self.state.shipments,
            &caused_by(event, "ship"),
            &shipment.to_string(),
            create,
        )
        .await?;
        Ok(Waiting::Ended(id))
    }

    /// Authorizes with retries and backoff; `None` when retries ran out or the order closed
    /// (expired, cancelled) meanwhile.
    async fn authorize(
        &self,
        order: &OrderState,
        key: &str,
    ) -> Result<Option<Authorization>, FlowError> {
        let mut delay = self.options.backoff;
        for attempt in 0..=self.options.retries {
            match self
                .provider
                .authorize(key, order.payment_method.as_str(), &order.total)
                .await
            {
                Ok(answer) => return Ok(Some(answer)),
                Err(ProviderError::Fatal(why)) => {
                    return Ok(Some(Authorization::Declined { reason: why }));
                }
                Err(ProviderError::Transient(why)) => {
                    tracing::warn!(order = %order.id, attempt, %why, "authorization failed; retrying");
                }
            }
            if attempt == self.options.retries {
                break;
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(self.options.max_backoff);
            if self.closed(order.id).await? {
                return Ok(None);
            }
        }
        Ok(None)
    }

    /// A provider call retried with backoff; past the retries, the event is retried later.
    pub(super) async fn with_retries<F, Fut>(&self, call: F) -> Result<(), FlowError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<(), ProviderError>>,
    {
        let mut delay = self.options.backoff;
        let mut last = String::new();
        for attempt in 0..=self.options.retries {
            match call().await {
                Ok(()) => return Ok(()),
                Err(ProviderError::Fatal(why)) => return Err(FlowError::Retry(why)),
                Err(ProviderError::Transient(why)) => last = why,
            }
            if attempt < self.options.retries {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(self.options.max_backoff);
            }
        }
        Err(FlowError::Retry(last))
    }
}
