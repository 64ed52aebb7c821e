use super::*;
use crate::test_support::*;
use cqrs_es::test::TestFramework;

type Test = TestFramework<Payment>;

const ALL: [PaymentStatus; 7] = [
    PaymentStatus::Pending,
    PaymentStatus::Authorized,
    PaymentStatus::Captured,
    PaymentStatus::Declined,
    PaymentStatus::Refunded,
    PaymentStatus::PartiallyRefunded,
    PaymentStatus::Voided,
];

fn payment(n: u128) -> PaymentId {
    PaymentId::from_uuid(uuid(0x0_9a70 + n))
}

fn provider_reference() -> ProviderReference {
    ProviderReference::parse("auth_123").unwrap()
}

fn request(amount: Money) -> PaymentCommand {
    PaymentCommand::Request {
        payment_id: payment(1),
        order_id: order(1),
        amount,
        method: method("pm_card_ok"),
    }
}

fn requested() -> PaymentEvent {
    PaymentEvent::PaymentRequested {
        payment_id: payment(1),
        order_id: order(1),
        amount: eur(1000),
        method: method("pm_card_ok"),
    }
}

fn refund(amount: Money) -> PaymentCommand {
    PaymentCommand::Refund {
        amount,
        reason: reason("returned"),
    }
}

fn refunded(amount: i64, total_refunded: i64) -> PaymentEvent {
    PaymentEvent::PaymentRefunded {
        amount: eur(amount),
        reason: reason("returned"),
        total_refunded: eur(total_refunded),
    }
}

/// The events that bring a payment of 10.00 EUR to `status`.
fn history(status: PaymentStatus) -> Vec<PaymentEvent> {
    use PaymentStatus as S;
    let authorized = PaymentEvent::PaymentAuthorized {
        provider_reference: provider_reference(),
    };
    let captured = PaymentEvent::PaymentCaptured { amount: eur(1000) };
    match status {
        S::Pending => vec![requested()],
        S::Authorized => vec![requested(), authorized],
        S::Captured => vec![requested(), authorized, captured],
        S::PartiallyRefunded => vec![requested(), authorized, captured, refunded(300, 300)],
        S::Refunded => vec![
            requested(),
            authorized,
            captured,
            refunded(300, 300),
            refunded(700, 1000),
        ],
        S::Declined => vec![
            requested(),
            PaymentEvent::PaymentDeclined {
                reason: reason("insufficient funds"),
            },
        ],
        S::Voided => vec![requested(), authorized, voided()],
    }
}

fn voided() -> PaymentEvent {
    PaymentEvent::PaymentVoided {
        reason: reason("order cancelled"),
    }
}

#[test]
fn an_authorization_is_voided_once_and_only_before_capture() {
    Test::with(())
        .given(history(PaymentStatus::Authorized))
        .when(PaymentCommand::Void {
            reason: reason("order cancelled"),
        })
        .then_expect_events(vec![voided()]);
    Test::with(())
        .given(history(PaymentStatus::Voided))
        .when(PaymentCommand::Void {
            reason: reason("order cancelled"),
        })
        .then_expect_events(vec![]);
    let void = PaymentCommand::Void {
        reason: reason("order cancelled"),
    };
    invalid_elsewhere(
        void,
        "void",
        &[PaymentStatus::Authorized, PaymentStatus::Voided],
    );
    assert_eq!(
        replay(history(PaymentStatus::Voided)).status,
        PaymentStatus::Voided
    );
}

/// Expects `command` to be an invalid transition from every status not in `handled`.
fn invalid_elsewhere(command: PaymentCommand, action: &'static str, handled: &[PaymentStatus]) {
    for status in ALL.into_iter().filter(|s| !handled.contains(s)) {
        Test::with(())
            .given(history(status))
            .when(command.clone())
            .then_expect_error(PaymentError::InvalidTransition { status, action });
    }
}

fn replay(events: Vec<PaymentEvent>) -> PaymentState {
    let mut aggregate = Payment::default();
    for event in events {
        crate::Decider::evolve(&mut aggregate, event);
    }
    aggregate.state().cloned().unwrap()
}

#[test]
fn requesting_a_payment_records_it() {
    Test::with(())
        .given_no_previous_events()
        .when(request(eur(1000)))
        .then_expect_events(vec![requested()]);
}

#[test]
fn requesting_twice_is_refused() {
    Test::with(())
        .given(vec![requested()])
        .when(request(eur(1000)))
        .then_expect_error(PaymentError::AlreadyExists);
}

#[test]
fn requesting_nothing_is_refused() {
    Test::with(())
        .given_no_previous_events()
        .when(request(eur(0)))
        .then_expect_error(PaymentError::ZeroAmount);
}

#[test]
fn commands_on_a_missing_payment_are_not_found() {
    for command in [
        PaymentCommand::Authorize {
            provider_reference: provider_reference(),
        },
        PaymentCommand::Decline {
            reason: reason("x"),
        },
        PaymentCommand::Capture {},
        refund(eur(1)),
    ] {
        Test::with(())
            .given_no_previous_events()
            .when(command)
            .then_expect_error(PaymentError::NotFound);
    }
}

#[test]
fn authorizing_records_the_provider_reference_once() {
    let command = PaymentCommand::Authorize {
        provider_reference: provider_reference(),
    };
    Test::with(())
        .given(history(PaymentStatus::Pending))
        .when(command.clone())
        .then_expect_events(vec![PaymentEvent::PaymentAuthorized {
            provider_reference: provider_reference(),
        }]);
    Test::with(())
        .given(history(PaymentStatus::Authorized))
        .when(command.clone())
        .then_expect_events(vec![]);
    invalid_elsewhere(
        command,
        "authorize",
        &[PaymentStatus::Pending, PaymentStatus::Authorized],
    );
}

#[test]
fn declining_records_the_reason_once() {
    let command = PaymentCommand::Decline {
        reason: reason("insufficient funds"),
    };
    Test::with(())
        .given(history(PaymentStatus::Pending))
        .when(command.clone())
        .then_expect_events(vec![PaymentEvent::PaymentDeclined {
            reason: reason("insufficient funds"),
        }]);
    Test::with(())
        .given(history(PaymentStatus::Declined))
        .when(command.clone())
        .then_expect_events(vec![]);
    invalid_elsewhere(
        command,
        "decline",
        &[PaymentStatus::Pending, PaymentStatus::Declined],
    );
}

#[test]
fn capturing_takes_the_full_amount_once() {
    let command = PaymentCommand::Capture {};
    Test::with(())
        .given(history(PaymentStatus::Authorized))
        .when(command.clone())
        .then_expect_events(vec![PaymentEvent::PaymentCaptured { amount: eur(1000) }]);
    Test::with(())
        .given(history(PaymentStatus::Captured))
        .when(command.clone())
        .then_expect_events(vec![]);
    invalid_elsewhere(
        command,
        "capture",
        &[PaymentStatus::Authorized, PaymentStatus::Captured],
    );
}

#[test]
fn refunding_part_of_a_capture_records_the_running_total() {
    Test::with(())
        .given(history(PaymentStatus::Captured))
        .when(refund(eur(300)))
        .then_expect_events(vec![refunded(300, 300)]);
    Test::with(())
        .given(history(PaymentStatus::PartiallyRefunded))
        .when(refund(eur(200)))
        .then_expect_events(vec![refunded(200, 500)]);
}

#[test]
fn refunding_the_rest_records_the_full_total() {
    Test::with(())
        .given(history(PaymentStatus::PartiallyRefunded))
        .when(refund(eur(700)))
        .then_expect_events(vec![refunded(700, 1000)]);
}

#[test]
fn refunding_nothing_is_refused() {
    Test::with(())
        .given(history(PaymentStatus::Captured))
        .when(refund(eur(0)))
        .then_expect_error(PaymentError::ZeroAmount);
}

#[test]
fn refunding_in_another_currency_is_refused() {
    Test::with(())
        .given(history(PaymentStatus::Captured))
        .when(refund(usd(100)))
        .then_expect_error(PaymentError::Money(MoneyError::CurrencyMismatch {
            left: eur(0).currency(),
            right: usd(0).currency(),
        }));
}

#[test]
fn refunding_more_than_is_left_is_refused() {
    Test::with(())
        .given(history(PaymentStatus::PartiallyRefunded))
        .when(refund(eur(701)))
        .then_expect_error(PaymentError::RefundExceedsCaptured {
            requested: eur(701),
            refundable: eur(700),
        });
}

#[test]
fn refunding_a_fully_refunded_payment_exceeds_a_zero_refundable() {
    Test::with(())
        .given(history(PaymentStatus::Refunded))
        .when(refund(eur(1)))
        .then_expect_error(PaymentError::RefundExceedsCaptured {
            requested: eur(1),
            refundable: eur(0),
        });
}

#[test]
fn refunding_before_capture_is_an_invalid_transition() {
    use PaymentStatus as S;
    invalid_elsewhere(
        refund(eur(1)),
        "refund",
        &[S::Captured, S::PartiallyRefunded, S::Refunded],
    );
}

#[test]
fn state_tracks_captured_and_refunded_amounts() {
    let requested = replay(history(PaymentStatus::Pending));
    assert_eq!((requested.captured, requested.refunded), (eur(0), eur(0)));
    assert_eq!(requested.provider_reference, None);
    let partial = replay(history(PaymentStatus::PartiallyRefunded));
    assert_eq!(partial.status, PaymentStatus::PartiallyRefunded);
    assert_eq!((partial.captured, partial.refunded), (eur(1000), eur(300)));
    assert_eq!(partial.provider_reference, Some(provider_reference()));
    let full = replay(history(PaymentStatus::Refunded));
    assert_eq!(full.status, PaymentStatus::Refunded);
    assert_eq!(full.refunded, eur(1000));
    let at_once = replay([history(PaymentStatus::Captured), vec![refunded(1000, 1000)]].concat());
    assert_eq!(at_once.status, PaymentStatus::Refunded);
}

#[test]
fn statuses_serialize_as_their_wire_words() {
    for status in ALL {
        let json = serde_json::to_value(status).unwrap();
        assert_eq!(json, serde_json::json!(status.as_str()));
        assert_eq!(
            serde_json::from_value::<PaymentStatus>(json).unwrap(),
            status
        );
    }
}

#[test]
fn refusals_map_to_their_kinds_and_events_are_version_1() {
    use crate::{Refusal, RefusalKind};
    assert_eq!(PaymentError::NotFound.kind(), RefusalKind::NotFound);
    assert_eq!(
        PaymentError::AlreadyExists.kind(),
        RefusalKind::AlreadyExists
    );
    assert_eq!(PaymentError::ZeroAmount.kind(), RefusalKind::Rejected);
    assert_eq!(PaymentEvent::SCHEMAS.len(), 6);
    assert!(
        PaymentEvent::SCHEMAS
            .iter()
            .all(|(_, version)| *version == 1)
    );
}
