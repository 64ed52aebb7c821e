//! The reporting model.

use super::orders::placed;
use super::*;
use projections::models::reporting;

#[test]
fn reporting_counts_sales_when_paid_and_refunds_when_made() {
    let mut log = Log::default();
    placed(&mut log, 1, 9, at(1, 9));
    placed(&mut log, 2, 9, at(1, 9));
    placed(&mut log, 3, 9, at(1, 9));
    log.add(
        format!("order-{}", id(1)),
        OrderEvent::OrderPaid {
            payment_id: id(4).into(),
        },
        at(1, 10),
    )
    .add(
        format!("order-{}", id(2)),
        OrderEvent::OrderPaid {
            payment_id: id(5).into(),
        },
        at(2, 10),
    )
    .add(
        format!("payment-{}", id(4)),
        PaymentEvent::PaymentRefunded {
            amount: eur(700),
            reason: Reason::parse("r").unwrap(),
            total_refunded: eur(700),
        },
        at(2, 11),
    );
    let reports = run(&reporting::Reporting, &log.0);
    let day = |d: &str| {
        reports
            .get(&(reporting::SALES_DAILY, format!("EUR:2026-11-{d}")))
            .cloned()
            .unwrap()
    };
    assert_eq!(
        (day("01")["orders"].clone(), day("01")["items"].clone()),
        (json!(1), json!(3))
    );
    assert_eq!(day("01")["revenue"]["amount"], 2500);
    assert_eq!(
        (
            day("02")["revenue"]["amount"].clone(),
            day("02")["refunds"]["amount"].clone()
        ),
        (json!(2500), json!(700))
    );
    let product = doc(&reports, reporting::PRODUCT_SALES, 2);
    assert_eq!(
        (
            product["units"].clone(),
            product["revenue"]["amount"].clone(),
            product["orders"].clone()
        ),
        (json!(4), json!(4000), json!(2))
    );
    assert!(!reports.contains_key(&(reporting::PRODUCT_SALES, id(99).to_string())));
}
