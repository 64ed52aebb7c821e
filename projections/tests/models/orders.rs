//! The orders model, and the `placed` fixture the reporting test shares.

use super::*;
use projections::models::orders;

pub(super) fn placed(log: &mut Log, order: u128, customer: u128, when: DateTime<Utc>) {
    let lines = vec![
        OrderLine::price(id(2).into(), Quantity::new(2).unwrap(), eur(1000)).unwrap(),
        OrderLine::price(id(3).into(), Quantity::new(1).unwrap(), eur(500)).unwrap(),
    ];
    log.add(
        format!("order-{}", id(order)),
        OrderEvent::OrderPlaced {
            order_id: id(order).into(),
            customer: id(customer).into(),
            cart_id: None,
            lines,
            total: eur(2500),
            shipping_address: address(),
            payment_method: PaymentMethod::parse("pm_card_ok").unwrap(),
            placed_at: when,
        },
        when,
    );
}

#[test]
fn orders_record_every_status_they_go_through() {
    let mut log = Log::default();
    let o = format!("order-{}", id(1));
    placed(&mut log, 1, 9, at(1, 9));
    log.add(o.clone(), OrderEvent::OrderStockReserved {}, at(1, 9))
        .add(
            o.clone(),
            OrderEvent::OrderPaymentAuthorized {
                payment_id: id(4).into(),
            },
            at(1, 9),
        )
        .add(
            o.clone(),
            OrderEvent::OrderPaid {
                payment_id: id(4).into(),
            },
            at(1, 9),
        )
        .add(
            o.clone(),
            OrderEvent::OrderShipped {
                shipment_id: id(6).into(),
            },
            at(2, 9),
        )
        .add(o, OrderEvent::OrderDelivered {}, at(3, 9));
    placed(&mut log, 2, 9, at(1, 9));
    log.add(
        format!("order-{}", id(2)),
        OrderEvent::OrderCancelled {
            reason: Reason::parse("changed my mind").unwrap(),
            previous_status: OrderStatus::Placed,
        },
        at(1, 10),
    );
    let orders = run(&orders::Orders, &log.0);
    let first = doc(&orders, orders::ORDERS, 1);
    assert_eq!(first["status"], "delivered");
    let steps: Vec<_> = first["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        steps,
        [
            "placed",
            "stock_reserved",
            "payment_authorized",
            "paid",
            "shipped",
            "delivered"
        ]
    );
    assert_eq!(
        (first["payment_id"].clone(), first["shipment_id"].clone()),
        (json!(id(4).to_string()), json!(id(6).to_string()))
    );
    assert_eq!(first["total"], json!({"amount": 2500, "currency": "EUR"}));
    assert_eq!(
        first["lines"][0]["line_total"],
        json!({"amount": 2000, "currency": "EUR"})
    );
    let second = doc(&orders, orders::ORDERS, 2);
    assert_eq!(
        (second["status"].clone(), second["reason"].clone()),
        (json!("cancelled"), json!("changed my mind"))
    );
}
