//! The payment expiry: an order still waiting for payment longer than the configured timeout
//! is cancelled (its cancellation then releases its stock like any other).

use super::Checkout;
use super::flow::reason;
use super::steps::{FlowError, derived, send};
use domain::order::OrderCommand;
use infra::event_store::stored::format_time;
use infra::read_store::{Filter, Op, Query, Sort};

impl Checkout {
    /// Cancels every order waiting since before now minus the timeout; returns how many
    /// cancellations were sent.
    pub async fn expire_once(&self) -> Result<usize, FlowError> {
        let cutoff = self.clock.now()
            - chrono::Duration::from_std(self.flow.options.payment_timeout).unwrap_or_default();
        let query = Query {
            filters: vec![Filter::new("since", Op::Lt, format_time(cutoff))],
            sort: vec![Sort::asc("since")],
            ..Query::all(super::WAITING, 100)
        };
        let page = self
            .read
            .query(&query)
            .await
            .map_err(|e| FlowError::Retry(e.to_string()))?;
        let mut sent = 0;
        for item in page.items {
            let Some(order) = item.get("id").and_then(|v| v.as_str()) else {
                continue;
            };
            let meta = derived(uuid::Uuid::now_v7(), None, &format!("expire:{order}"));
            let expire = OrderCommand::Expire {
                reason: reason("payment not completed in time"),
            };
            // A refusal means the order moved on (paid, rejected) and leaves the set soon;
            // `Expire`, unlike `Cancel`, refuses a paid order whose batch is still in flight.
            if send(&self.flow.state.orders, &meta, order, expire)
                .await?
                .is_none()
            {
                sent += 1;
            }
        }
        Ok(sent)
    }

    /// Runs [`Checkout::expire_once`] periodically, forever.
    pub async fn expire_forever(self: std::sync::Arc<Self>) {
        let every = (self.flow.options.payment_timeout / 4).clamp(
            std::time::Duration::from_millis(50),
            std::time::Duration::from_secs(1),
        );
        let mut ticks = tokio::time::interval(every);
        loop {
            ticks.tick().await;
            if let Err(e) = self.expire_once().await {
                tracing::warn!(error = %e, "payment expiry failed; retrying");
            }
        }
    }
}
