use super::*;
use crate::test_support::*;
use OrderStatus as S;
use cqrs_es::test::{AggregateTestExecutor, TestFramework};

type Test = TestFramework<Order>;

const ALL: [OrderStatus; 8] = [
    S::Placed,
    S::StockReserved,
    S::PaymentAuthorized,
    S::Paid,
    S::Shipped,
    S::Delivered,
    S::Rejected,
    S::Cancelled,
];

fn payment(n: u128) -> PaymentId {
    PaymentId::from_uuid(uuid(0x0_9a70 + n))
}

fn shipment(n: u128) -> ShipmentId {
    ShipmentId::from_uuid(uuid(0x0_5410 + n))
}

fn at() -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600, 0).unwrap()
}

fn line(product_id: u128, quantity: u32, unit_price: Money) -> OrderLine {
    OrderLine::price(product(product_id), qty(quantity), unit_price).unwrap()
}

fn place(lines: Vec<OrderLine>) -> OrderCommand {
    OrderCommand::Place {
        order_id: order(1),
        customer: user(1),
        cart_id: Some(CartId::from_uuid(uuid(0x0_ca70))),
        lines,
        shipping_address: address(),
        payment_method: method("pm_card_ok"),
        placed_at: at(),
    }
}

fn placed() -> OrderEvent {
    OrderEvent::OrderPlaced {
        order_id: order(1),
        customer: user(1),
        cart_id: Some(CartId::from_uuid(uuid(0x0_ca70))),
        lines: vec![line(1, 2, eur(250)), line(2, 1, eur(1000))],
        total: eur(1500),
        shipping_address: address(),
        payment_method: method("pm_card_ok"),
        placed_at: at(),
    }
}

fn cancelled(previous_status: OrderStatus) -> OrderEvent {
    OrderEvent::OrderCancelled {
        reason: reason("changed my mind"),
        previous_status,
    }
}

/// The events that bring order 1 to `status`, paid with payment 1 and shipped as shipment 1.
fn history(status: OrderStatus) -> Vec<OrderEvent> {
    let (payment_id, shipment_id) = (payment(1), shipment(1));
    let happy_path = [
        OrderEvent::OrderStockReserved {},
        OrderEvent::OrderPaymentAuthorized { payment_id },
        OrderEvent::OrderPaid { payment_id },
        OrderEvent::OrderShipped { shipment_id },
        OrderEvent::OrderDelivered {},
    ];
    let steps = match status {
        S::Placed | S::Rejected | S::Cancelled => 0,
        S::StockReserved => 1,
        S::PaymentAuthorized => 2,
        S::Paid => 3,
        S::Shipped => 4,
        S::Delivered => 5,
    };
    let mut events = vec![placed()];
    events.extend(happy_path.into_iter().take(steps));
    match status {
        S::Rejected => events.push(OrderEvent::OrderRejected {
            reason: reason("out of stock"),
        }),
        S::Cancelled => events.push(cancelled(S::Placed)),
        _ => {}
    }
    events
}

/// The events of an order rejected because payment `n` was declined.
fn declined_history(n: u128) -> Vec<OrderEvent> {
    let mut events = history(S::StockReserved);
    events.push(declined(n));
    events
}

fn declined(n: u128) -> OrderEvent {
    OrderEvent::OrderPaymentDeclined {
        payment_id: payment(n),
        reason: reason("card declined"),
    }
}

/// Order 1, brought to `status`.
fn given(status: OrderStatus) -> AggregateTestExecutor<Order> {
    Test::with(()).given(history(status))
}

/// Expects `command` to be an invalid transition from every status not in `handled`.
fn invalid_elsewhere(command: OrderCommand, action: &'static str, handled: &[OrderStatus]) {
    for status in ALL.into_iter().filter(|s| !handled.contains(s)) {
        given(status)
            .when(command.clone())
            .then_expect_error(OrderError::InvalidTransition { status, action });
    }
}

#[test]
fn placing_an_order_records_its_lines_and_total() {
    Test::with(())
        .given_no_previous_events()
        .when(place(vec![line(1, 2, eur(250)), line(2, 1, eur(1000))]))
        .then_expect_events(vec![placed()]);
}

#[test]
fn placing_twice_is_refused() {
    given(S::Placed)
        .when(place(vec![line(1, 1, eur(1))]))
        .then_expect_error(OrderError::AlreadyExists);
}

#[test]
fn placing_without_lines_is_refused() {
    Test::with(())
        .given_no_previous_events()
        .when(place(vec![]))
        .then_expect_error(OrderError::EmptyOrder);
}

#[test]
fn placing_lines_in_two_currencies_is_refused() {
    Test::with(())
        .given_no_previous_events()
        .when(place(vec![line(1, 1, eur(1)), line(2, 1, usd(1))]))
        .then_expect_error(OrderError::Money(MoneyError::CurrencyMismatch {
            left: eur(0).currency(),
            right: usd(0).currency(),
        }));
}

#[test]
fn placing_lines_whose_total_overflows_is_refused() {
    Test::with(())
        .given_no_previous_events()
        .when(place(vec![line(1, 1, eur(i64::MAX)), line(2, 1, eur(1))]))
        .then_expect_error(OrderError::Money(MoneyError::Overflow));
}

#[test]
fn commands_on_a_missing_order_are_not_found() {
    let (payment_id, shipment_id, reason) = (payment(1), shipment(1), reason("x"));
    for command in [
        OrderCommand::MarkStockReserved {},
        OrderCommand::Reject {
            reason: reason.clone(),
        },
        OrderCommand::AuthorizePayment { payment_id },
        OrderCommand::DeclinePayment {
            payment_id,
            reason: reason.clone(),
        },
        OrderCommand::MarkPaid { payment_id },
        OrderCommand::MarkShipped { shipment_id },
        OrderCommand::MarkDelivered {},
        OrderCommand::Cancel { reason },
    ] {
        Test::with(())
            .given_no_previous_events()
            .when(command)
            .then_expect_error(OrderError::NotFound);
    }
}

#[test]
fn reserving_stock_moves_a_placed_order_on_once() {
    let command = OrderCommand::MarkStockReserved {};
    given(S::Placed)
        .when(command.clone())
        .then_expect_events(vec![OrderEvent::OrderStockReserved {}]);
    given(S::StockReserved)
        .when(command.clone())
        .then_expect_events(vec![]);
    invalid_elsewhere(
        command,
        "mark stock reserved",
        &[S::Placed, S::StockReserved],
    );
}

#[test]
fn rejecting_before_payment_records_the_reason() {
    let reason = reason("out of stock");
    for status in [S::Placed, S::StockReserved] {
        given(status)
            .when(OrderCommand::Reject {
                reason: reason.clone(),
            })
            .then_expect_events(vec![OrderEvent::OrderRejected {
                reason: reason.clone(),
            }]);
    }
}

#[test]
fn rejecting_a_rejected_order_is_a_no_op_and_invalid_after_payment_or_cancel() {
    let command = OrderCommand::Reject {
        reason: reason("out of stock"),
    };
    for given in [history(S::Rejected), declined_history(1)] {
        Test::with(())
            .given(given)
            .when(command.clone())
            .then_expect_events(vec![]);
    }
    invalid_elsewhere(
        command,
        "reject",
        &[S::Placed, S::StockReserved, S::Rejected],
    );
}

#[test]
fn authorizing_payment_records_the_payment_once() {
    let payment_id = payment(1);
    let command = OrderCommand::AuthorizePayment { payment_id };
    given(S::StockReserved)
        .when(command.clone())
        .then_expect_events(vec![OrderEvent::OrderPaymentAuthorized { payment_id }]);
    given(S::PaymentAuthorized)
        .when(command.clone())
        .then_expect_events(vec![]);
    invalid_elsewhere(
        command,
        "authorize payment",
        &[S::StockReserved, S::PaymentAuthorized],
    );
}

#[test]
fn declining_payment_rejects_the_order_once() {
    let command = OrderCommand::DeclinePayment {
        payment_id: payment(1),
        reason: reason("card declined"),
    };
    given(S::StockReserved)
        .when(command.clone())
        .then_expect_events(vec![declined(1)]);
    for given in [declined_history(1), history(S::Rejected)] {
        Test::with(())
            .given(given)
            .when(command.clone())
            .then_expect_events(vec![]);
    }
    invalid_elsewhere(command, "decline payment", &[S::StockReserved, S::Rejected]);
}

#[test]
fn marking_paid_records_the_capture_once() {
    let payment_id = payment(1);
    let command = OrderCommand::MarkPaid { payment_id };
    given(S::PaymentAuthorized)
        .when(command.clone())
        .then_expect_events(vec![OrderEvent::OrderPaid { payment_id }]);
    given(S::Paid)
        .when(command.clone())
        .then_expect_events(vec![]);
    invalid_elsewhere(command, "mark paid", &[S::PaymentAuthorized, S::Paid]);
}

#[test]
fn a_payment_other_than_the_orders_own_is_a_mismatch() {
    let payment_id = payment(2);
    let reason = reason("card declined");
    for (given, command) in [
        (
            history(S::PaymentAuthorized),
            OrderCommand::AuthorizePayment { payment_id },
        ),
        (
            declined_history(1),
            OrderCommand::DeclinePayment { payment_id, reason },
        ),
        (
            history(S::PaymentAuthorized),
            OrderCommand::MarkPaid { payment_id },
        ),
        (history(S::Paid), OrderCommand::MarkPaid { payment_id }),
    ] {
        Test::with(())
            .given(given)
            .when(command)
            .then_expect_error(OrderError::PaymentMismatch);
    }
}

#[test]
fn marking_shipped_records_the_shipment_once() {
    let shipment_id = shipment(1);
    let command = OrderCommand::MarkShipped { shipment_id };
    given(S::Paid)
        .when(command.clone())
        .then_expect_events(vec![OrderEvent::OrderShipped { shipment_id }]);
    given(S::Shipped)
        .when(command.clone())
        .then_expect_events(vec![]);
    invalid_elsewhere(command, "mark shipped", &[S::Paid, S::Shipped]);
}

#[test]
fn marking_delivered_closes_a_shipped_order_once() {
    let command = OrderCommand::MarkDelivered {};
    given(S::Shipped)
        .when(command.clone())
        .then_expect_events(vec![OrderEvent::OrderDelivered {}]);
    given(S::Delivered)
        .when(command.clone())
        .then_expect_events(vec![]);
    invalid_elsewhere(command, "mark delivered", &[S::Shipped, S::Delivered]);
}

#[test]
fn cancelling_before_shipping_records_the_previous_status() {
    for status in [S::Placed, S::StockReserved, S::PaymentAuthorized, S::Paid] {
        given(status)
            .when(OrderCommand::Cancel {
                reason: reason("changed my mind"),
            })
            .then_expect_events(vec![cancelled(status)]);
    }
}

#[test]
fn cancelling_a_cancelled_order_is_a_no_op() {
    given(S::Cancelled)
        .when(OrderCommand::Cancel {
            reason: reason("again"),
        })
        .then_expect_events(vec![]);
}

#[test]
fn cancelling_after_shipping_is_refused() {
    for status in [S::Shipped, S::Delivered] {
        given(status)
            .when(OrderCommand::Cancel {
                reason: reason("too late"),
            })
            .then_expect_error(OrderError::CannotCancelAfterShipping);
    }
}

#[test]
fn cancelling_a_rejected_order_is_an_invalid_transition() {
    given(S::Rejected)
        .when(OrderCommand::Cancel {
            reason: reason("x"),
        })
        .then_expect_error(OrderError::InvalidTransition {
            status: S::Rejected,
            action: "cancel",
        });
}

#[test]
fn an_expiry_cancels_only_an_order_not_paid_yet() {
    let expire = || OrderCommand::Expire {
        reason: reason("payment not completed in time"),
    };
    for status in [S::Placed, S::StockReserved, S::PaymentAuthorized] {
        given(status)
            .when(expire())
            .then_expect_events(vec![OrderEvent::OrderCancelled {
                reason: reason("payment not completed in time"),
                previous_status: status,
            }]);
    }
    given(S::Cancelled)
        .when(expire())
        .then_expect_events(vec![]);
    for status in [S::Paid, S::Shipped, S::Delivered, S::Rejected] {
        given(status)
            .when(expire())
            .then_expect_error(OrderError::InvalidTransition {
                status,
                action: "expire",
            });
    }
}

#[test]
fn state_follows_payment_shipment_and_closing() {
    let replay = |events: Vec<OrderEvent>| {
        let mut order = Order::default();
        for event in events {
            crate::Decider::evolve(&mut order, event);
        }
        order.state().cloned().unwrap()
    };
    let delivered = replay(history(S::Delivered));
    assert_eq!(
        (delivered.status, delivered.total),
        (S::Delivered, eur(1500))
    );
    assert_eq!(delivered.payment_id, Some(payment(1)));
    assert_eq!(delivered.shipment_id, Some(shipment(1)));
    assert_eq!(delivered.closing_reason, None);
    let declined = replay(declined_history(3));
    assert_eq!(
        (declined.status, declined.payment_id),
        (S::Rejected, Some(payment(3)))
    );
    assert_eq!(declined.closing_reason, Some(reason("card declined")));
    let cancelled = replay(history(S::Cancelled));
    assert_eq!(cancelled.closing_reason, Some(reason("changed my mind")));
}

#[test]
fn statuses_serialize_as_their_wire_words() {
    for status in ALL {
        let json = serde_json::to_value(status).unwrap();
        assert_eq!(json, serde_json::json!(status.as_str()));
        assert_eq!(serde_json::from_value::<OrderStatus>(json).unwrap(), status);
    }
}

#[test]
fn refusals_map_to_their_kinds_and_events_are_version_1() {
    use crate::{Refusal, RefusalKind};
    assert_eq!(OrderError::NotFound.kind(), RefusalKind::NotFound);
    assert_eq!(OrderError::AlreadyExists.kind(), RefusalKind::AlreadyExists);
    assert_eq!(OrderError::PaymentMismatch.kind(), RefusalKind::Rejected);
    assert_eq!(OrderEvent::SCHEMAS.len(), 9);
    assert!(OrderEvent::SCHEMAS.iter().all(|(_, version)| *version == 1));
}

#[test]
fn an_admin_cancels_until_delivery_even_a_shipped_order() {
    let cancel = || OrderCommand::AdminCancel {
        reason: reason("lost in transit"),
    };
    for status in [
        S::Placed,
        S::StockReserved,
        S::PaymentAuthorized,
        S::Paid,
        S::Shipped,
    ] {
        given(status)
            .when(cancel())
            .then_expect_events(vec![OrderEvent::OrderCancelled {
                reason: reason("lost in transit"),
                previous_status: status,
            }]);
    }
    for status in [OrderStatus::Delivered, OrderStatus::Rejected] {
        given(status)
            .when(cancel())
            .then_expect_error(OrderError::InvalidTransition {
                status,
                action: "cancel",
            });
    }
    given(OrderStatus::Cancelled)
        .when(cancel())
        .then_expect_events(vec![]);
}
