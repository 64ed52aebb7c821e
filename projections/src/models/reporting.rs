//! Reporting: sales per day (revenue, refunds, orders, items, per currency) and best-selling
//! products (units, revenue). Sales count when an order is paid, on the day of payment;
//! refunds count on the day they are made. A small internal collection keeps each order's
//! lines from placement until it is paid.

use super::common::MoneyDoc;
use crate::runtime::{ApplyError, Docs, Key, Projection, decode, stream_id};
use domain::order::OrderEvent;
use domain::payment::PaymentEvent;
use infra::event_store::RecordedEvent;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Sales per day and currency.
pub const SALES_DAILY: &str = "sales_daily";
/// Sales per product.
pub const PRODUCT_SALES: &str = "product_sales";
/// Orders placed, kept until paid (internal).
pub const REPORT_ORDERS: &str = "report_orders";

/// One day's sales in one currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SalesDay {
    /// `currency:date`, such as `EUR:2026-11-29`.
    pub id: String,
    /// The day (UTC), `YYYY-MM-DD`.
    pub date: String,
    /// The currency.
    pub currency: String,
    /// Paid order totals.
    pub revenue: MoneyDoc,
    /// Refunds made that day.
    pub refunds: MoneyDoc,
    /// Orders paid.
    pub orders: u64,
    /// Units in those orders.
    pub items: u64,
}

/// One product's sales.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ProductSales {
    /// Product id.
    pub id: String,
    /// Units sold in paid orders.
    pub units: u64,
    /// Their revenue.
    pub revenue: MoneyDoc,
    /// Paid orders holding it.
    pub orders: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ReportLine {
    product_id: String,
    quantity: u32,
    line_total: MoneyDoc,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ReportOrder {
    id: String,
    lines: Vec<ReportLine>,
    total: MoneyDoc,
    paid_on: Option<String>,
}

/// The reporting projection.
pub struct Reporting;

fn day(event: &RecordedEvent) -> String {
    event.recorded_at.format("%Y-%m-%d").to_string()
}

/// The id of a day's sales in a currency. The currency comes first: nx-27017, the MongoDB
/// test server, cannot find an `_id` such as `2026-11-29:EUR` (real MongoDB can).
fn sales_day_id(date: &str, currency: &str) -> String {
    format!("{currency}:{date}")
}

fn add(total: &mut MoneyDoc, amount: &MoneyDoc) {
    total.amount = total.amount.saturating_add(amount.amount);
}

fn sales_day(docs: &Docs, date: &str, currency: &str) -> Result<SalesDay, ApplyError> {
    let id = sales_day_id(date, currency);
    Ok(docs.get(SALES_DAILY, &id)?.unwrap_or(SalesDay {
        id,
        date: date.to_owned(),
        currency: currency.to_owned(),
        revenue: MoneyDoc::zero(currency),
        refunds: MoneyDoc::zero(currency),
        orders: 0,
        items: 0,
    }))
}

impl Reporting {
    fn paid(&self, event: &RecordedEvent, docs: &mut Docs) -> Result<(), ApplyError> {
        let order_id = stream_id(event);
        let Some(mut order) = docs.get::<ReportOrder>(REPORT_ORDERS, order_id)? else {
            return Err(ApplyError::Broken(format!(
                "order {order_id} was paid but never placed"
            )));
        };
        // No "already counted" check through `paid_on`: an order is paid once in the log,
        // and a replay after a crash is kept from counting twice by each document's own
        // position guard. A flag in another document would not be: on a store without
        // transactions a crash can leave the order marked paid and the totals not yet
        // written, and the replay would then skip the totals.
        let date = day(event);
        let products: Vec<Key> = order
            .lines
            .iter()
            .map(|l| (PRODUCT_SALES, l.product_id.clone()))
            .collect();
        let mut keys = products.clone();
        keys.push((SALES_DAILY, sales_day_id(&date, &order.total.currency)));
        docs.require(&keys)?;
        let mut sales = sales_day(docs, &date, &order.total.currency)?;
        add(&mut sales.revenue, &order.total);
        sales.orders += 1;
        sales.items += order
            .lines
            .iter()
            .map(|l| u64::from(l.quantity))
            .sum::<u64>();
        docs.put(SALES_DAILY, &sales.id.clone(), &sales)?;
        for line in &order.lines {
            let mut product = docs
                .get::<ProductSales>(PRODUCT_SALES, &line.product_id)?
                .unwrap_or(ProductSales {
                    id: line.product_id.clone(),
                    units: 0,
                    revenue: MoneyDoc::zero(&line.line_total.currency),
                    orders: 0,
                });
            product.units += u64::from(line.quantity);
            add(&mut product.revenue, &line.line_total);
            product.orders += 1;
            docs.put(PRODUCT_SALES, &line.product_id, &product)?;
        }
        order.paid_on = Some(date);
        docs.put(REPORT_ORDERS, order_id, &order)
    }
}

impl Projection for Reporting {
    fn name(&self) -> &'static str {
        "reporting"
    }

    fn collections(&self) -> Vec<(&'static str, Vec<&'static str>)> {
        vec![
            (SALES_DAILY, vec!["date", "currency"]),
            (PRODUCT_SALES, vec!["units", "revenue.amount"]),
            (REPORT_ORDERS, vec![]),
        ]
    }

    fn event_types(&self) -> Vec<&'static str> {
        vec!["OrderPlaced", "OrderPaid", "PaymentRefunded"]
    }

    fn keys(&self, event: &RecordedEvent) -> Vec<Key> {
        match event.event_type.as_str() {
            "OrderPlaced" | "OrderPaid" => vec![(REPORT_ORDERS, stream_id(event).to_owned())],
            _ => match decode::<PaymentEvent>(event) {
                Ok(PaymentEvent::PaymentRefunded { amount, .. }) => {
                    vec![(
                        SALES_DAILY,
                        sales_day_id(&day(event), amount.currency().as_str()),
                    )]
                }
                _ => Vec::new(),
            },
        }
    }

    fn apply(&self, event: &RecordedEvent, docs: &mut Docs) -> Result<(), ApplyError> {
        match event.event_type.as_str() {
            "OrderPlaced" => {
                let OrderEvent::OrderPlaced { lines, total, .. } = decode(event)? else {
                    return Ok(());
                };
                let order = ReportOrder {
                    id: stream_id(event).to_owned(),
                    lines: lines
                        .into_iter()
                        .map(|l| ReportLine {
                            product_id: l.product_id.to_string(),
                            quantity: l.quantity.get(),
                            line_total: l.line_total.into(),
                        })
                        .collect(),
                    total: total.into(),
                    paid_on: None,
                };
                docs.put(REPORT_ORDERS, &order.id.clone(), &order)
            }
            "OrderPaid" => self.paid(event, docs),
            _ => {
                let PaymentEvent::PaymentRefunded { amount, .. } = decode(event)? else {
                    return Ok(());
                };
                let amount = MoneyDoc::from(amount);
                let mut sales = sales_day(docs, &day(event), &amount.currency)?;
                add(&mut sales.refunds, &amount);
                docs.put(SALES_DAILY, &sales.id.clone(), &sales)
            }
        }
    }
}
