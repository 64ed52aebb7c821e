//! The forward path of a checkout, one handler per event:
//! cart checked out → order placed → stock reserved for every line (all or nothing) →
//! payment requested, authorized (transient failures retried with backoff), captured →
//! order paid → shipment created; shipment dispatched → order shipped and its reservations
//! committed; delivered → order delivered. A refused reservation or a declined payment
//! rejects the order (its rejection then releases the stock); a provider unavailable past the
//! retries cancels it. Every step is safe to repeat, so a handler replayed after a crash
//! resumes where the first run stopped. The payment step is in [`super::payment`].

use super::Options;
use super::provider::PaymentProvider;
use super::steps::{FlowError, caused_by, load, send};
use crate::executor::Outcome;
use crate::state::AppState;
use domain::cart::CartEvent;
use domain::order::{Order, OrderCommand, OrderState, OrderStatus};
use domain::product::ProductCommand;
use domain::shipment::{Shipment, ShipmentState};
use domain::values::{OrderId, Reason};
use infra::event_store::RecordedEvent;
use std::sync::Arc;

/// What an event did to the set of orders waiting for payment.
#[derive(Debug, Clone, PartialEq)]
pub enum Waiting {
    /// Nothing changed.
    Same,
    /// The order now waits for payment.
    Started(OrderId),
    /// The order no longer waits.
    Ended(OrderId),
}

/// The checkout flow's handlers.
pub struct Flow {
    pub(super) state: AppState,
    pub(super) provider: Arc<dyn PaymentProvider>,
    pub(super) options: Options,
}

/// Places the order a `CartCheckedOut` event asks for, with the prices captured at checkout.
/// The command id derives from the event, so the checkout handler (which places it at once,
/// to answer a position where the order exists) and the process (which places it in any
/// case) append it once between them. `None` for another cart event; the outcome is `None`
/// when the order refused (its state tells why).
pub async fn place_order(
    state: &AppState,
    event: &RecordedEvent,
    checkout: CartEvent,
) -> Result<Option<(OrderId, Option<Outcome>)>, FlowError> {
    let CartEvent::CartCheckedOut {
        order_id,
        owner,
        lines,
        shipping_address,
        payment_method,
        ..
    } = checkout
    else {
        return Ok(None);
    };
    let cart_id = event
        .stream
        .strip_prefix("cart-")
        .and_then(|id| id.parse().ok());
    let command = OrderCommand::Place {
        order_id,
        customer: owner,
        cart_id,
        lines,
        shipping_address,
        payment_method,
        placed_at: event.recorded_at,
    };
    let placed = state
        .orders
        .execute(&caused_by(event, "place"), &order_id.to_string(), command)
        .await;
    match placed {
        Ok(outcome) => Ok(Some((order_id, Some(outcome)))),
        // A refusal is left to the order's state, as for every step.
        Err(crate::error::ApiError::Refused { .. }) => Ok(Some((order_id, None))),
        Err(other) => Err(FlowError::Retry(other.to_string())),
    }
}

/// A reason from any text (trimmed to what a reason holds).
pub(super) fn reason(text: &str) -> Reason {
    let text: String = text.chars().filter(|c| !c.is_control()).take(500).collect();
    Reason::parse(&text)
        .or_else(|_| Reason::parse("no reason given"))
        .expect("a constant, valid reason")
}

impl Flow {
    /// The order if it is in one of `statuses`; `None` when it is elsewhere.
    pub(super) async fn order_in(
        &self,
        id: OrderId,
        statuses: &[OrderStatus],
    ) -> Result<Option<OrderState>, FlowError> {
        let order: Order = load(&self.state.orders, &id.to_string()).await?;
        Ok(order
            .state()
            .filter(|o| statuses.contains(&o.status))
            .cloned())
    }

    /// True once the order is rejected or cancelled: forward steps stop there.
    pub(super) async fn closed(&self, id: OrderId) -> Result<bool, FlowError> {
        let closed = [OrderStatus::Rejected, OrderStatus::Cancelled];
        Ok(self.order_in(id, &closed).await?.is_some())
    }

    /// Sends an order command caused by `event`; a refusal is left to the order's state.
    pub(super) async fn order(
        &self,
        event: &RecordedEvent,
        id: OrderId,
        step: &str,
        command: OrderCommand,
    ) -> Result<(), FlowError> {
        send(
            &self.state.orders,
            &caused_by(event, step),
            &id.to_string(),
            command,
        )
        .await?;
        Ok(())
    }

    /// A checked-out cart becomes an order with the prices captured at checkout.
    pub async fn cart_checked_out(
        &self,
        event: &RecordedEvent,
        checkout: CartEvent,
    ) -> Result<Waiting, FlowError> {
        match place_order(&self.state, event, checkout).await? {
            Some((order_id, _)) => Ok(Waiting::Started(order_id)),
            None => Ok(Waiting::Same),
        }
    }

    /// Reserves every line; one line that cannot be reserved rejects the order.
    pub async fn order_placed(
        &self,
        event: &RecordedEvent,
        id: OrderId,
    ) -> Result<Waiting, FlowError> {
        let Some(order) = self.order_in(id, &[OrderStatus::Placed]).await? else {
            return Ok(Waiting::Same);
        };
        for line in &order.lines {
            let command = ProductCommand::Reserve {
                order_id: id,
                quantity: line.quantity,
            };
            let meta = caused_by(event, &format!("reserve:{}", line.product_id));
            let product = line.product_id.to_string();
            if let Some(why) = send(&self.state.products, &meta, &product, command).await? {
                // Recorded first; the rejection's handler releases what was reserved.
                let why = reason(&format!("product {}: {why}", line.product_id));
                self.order(event, id, "reject", OrderCommand::Reject { reason: why })
                    .await?;
                return Ok(Waiting::Ended(id));
            }
        }
        self.order(event, id, "reserved", OrderCommand::MarkStockReserved {})
            .await?;
        Ok(Waiting::Same)
    }

    /// A rejected order (out of stock, payment declined) gives its stock back.
    pub async fn rejected(&self, event: &RecordedEvent, id: OrderId) -> Result<Waiting, FlowError> {
        if let Some(order) = self.order_in(id, &[OrderStatus::Rejected]).await? {
            let why = order
                .closing_reason
                .as_ref()
                .map_or("order rejected", |r| r.as_str())
                .to_owned();
            self.release(event, &order, &why).await?;
        }
        Ok(Waiting::Ended(id))
    }

    /// Releases every line's reservation of an order (lines not held are left alone).
    pub(super) async fn release(
        &self,
        event: &RecordedEvent,
        order: &OrderState,
        why: &str,
    ) -> Result<(), FlowError> {
        for line in &order.lines {
            let command = ProductCommand::ReleaseReservation {
                order_id: order.id,
                reason: reason(why),
            };
            let meta = caused_by(event, &format!("release:{}", line.product_id));
            send(
                &self.state.products,
                &meta,
                &line.product_id.to_string(),
                command,
            )
            .await?;
        }
        Ok(())
    }

    /// A shipment's current state, if it exists.
    async fn shipment(&self, id: &str) -> Result<Option<ShipmentState>, FlowError> {
        let shipment: Shipment = load(&self.state.shipments, id).await?;
        Ok(shipment.state().cloned())
    }

    /// The admin dispatched the parcel: the order is shipped, its reservations committed.
    pub async fn dispatched(
        &self,
        event: &RecordedEvent,
        shipment: &str,
    ) -> Result<Waiting, FlowError> {
        let Some(state) = self.shipment(shipment).await? else {
            return Ok(Waiting::Same);
        };
        let order: Order = load(&self.state.orders, &state.order_id.to_string()).await?;
        let Some(order) = order.state() else {
            return Ok(Waiting::Same);
        };
        let command = OrderCommand::MarkShipped {
            shipment_id: state.id,
        };
        let meta = caused_by(event, "shipped");
        if let Some(why) = send(&self.state.orders, &meta, &order.id.to_string(), command).await? {
            tracing::warn!(order = %order.id, %why, "a shipment was dispatched for an order that cannot ship");
            return Ok(Waiting::Same);
        }
        for line in &order.lines {
            let command = ProductCommand::CommitReservation { order_id: order.id };
            let meta = caused_by(event, &format!("commit:{}", line.product_id));
            send(
                &self.state.products,
                &meta,
                &line.product_id.to_string(),
                command,
            )
            .await?;
        }
        Ok(Waiting::Same)
    }

    /// The parcel arrived: the order is delivered.
    pub async fn delivered(
        &self,
        event: &RecordedEvent,
        shipment: &str,
    ) -> Result<Waiting, FlowError> {
        let Some(state) = self.shipment(shipment).await? else {
            return Ok(Waiting::Same);
        };
        self.order(
            event,
            state.order_id,
            "delivered",
            OrderCommand::MarkDelivered {},
        )
        .await?;
        Ok(Waiting::Same)
    }
}
