use super::*;
use crate::test_support::*;
use cqrs_es::test::TestFramework;

type Test = TestFramework<Shipment>;

const ALL: [ShipmentStatus; 5] = [
    ShipmentStatus::Pending,
    ShipmentStatus::Dispatched,
    ShipmentStatus::Delivered,
    ShipmentStatus::Failed,
    ShipmentStatus::Cancelled,
];

fn shipment(n: u128) -> ShipmentId {
    ShipmentId::from_uuid(uuid(0x0_5410 + n))
}

fn at(hour: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600 + hour * 3600, 0).unwrap()
}

fn carrier() -> Carrier {
    Carrier::parse("DHL").unwrap()
}

fn tracking(n: u32) -> TrackingNumber {
    TrackingNumber::parse(&format!("TRK-{n}")).unwrap()
}

fn created() -> ShipmentEvent {
    ShipmentEvent::ShipmentCreated {
        shipment_id: shipment(1),
        order_id: order(1),
        address: address(),
    }
}

fn dispatch(attempt: u32) -> ShipmentCommand {
    ShipmentCommand::Dispatch {
        carrier: carrier(),
        tracking_number: tracking(attempt),
        at: at(1),
    }
}

fn dispatched(attempt: u32) -> ShipmentEvent {
    ShipmentEvent::ShipmentDispatched {
        carrier: carrier(),
        tracking_number: tracking(attempt),
        dispatched_at: at(1),
    }
}

fn failed() -> ShipmentEvent {
    ShipmentEvent::ShipmentDeliveryFailed {
        reason: reason("nobody home"),
        failed_at: at(2),
    }
}

/// The events that bring shipment 1 to `status`.
fn history(status: ShipmentStatus) -> Vec<ShipmentEvent> {
    use ShipmentStatus as S;
    match status {
        S::Pending => vec![created()],
        S::Dispatched => vec![created(), dispatched(1)],
        S::Delivered => vec![
            created(),
            dispatched(1),
            ShipmentEvent::ShipmentDelivered {
                delivered_at: at(2),
            },
        ],
        S::Failed => vec![created(), dispatched(1), failed()],
        S::Cancelled => vec![
            created(),
            ShipmentEvent::ShipmentCancelled {
                reason: reason("order cancelled"),
            },
        ],
    }
}

/// Expects `command` to be an invalid transition from every status not in `handled`.
fn invalid_elsewhere(command: ShipmentCommand, action: &'static str, handled: &[ShipmentStatus]) {
    for status in ALL.into_iter().filter(|s| !handled.contains(s)) {
        Test::with(())
            .given(history(status))
            .when(command.clone())
            .then_expect_error(ShipmentError::InvalidTransition { status, action });
    }
}

#[test]
fn creating_a_shipment_records_its_order_and_address() {
    Test::with(())
        .given_no_previous_events()
        .when(ShipmentCommand::Create {
            shipment_id: shipment(1),
            order_id: order(1),
            address: address(),
        })
        .then_expect_events(vec![created()]);
}

#[test]
fn creating_twice_is_refused() {
    Test::with(())
        .given(vec![created()])
        .when(ShipmentCommand::Create {
            shipment_id: shipment(1),
            order_id: order(1),
            address: address(),
        })
        .then_expect_error(ShipmentError::AlreadyExists);
}

#[test]
fn commands_on_a_missing_shipment_are_not_found() {
    for command in [
        dispatch(1),
        ShipmentCommand::Deliver { at: at(2) },
        ShipmentCommand::FailDelivery {
            reason: reason("x"),
            at: at(2),
        },
        ShipmentCommand::Cancel {
            reason: reason("x"),
        },
    ] {
        Test::with(())
            .given_no_previous_events()
            .when(command)
            .then_expect_error(ShipmentError::NotFound);
    }
}

#[test]
fn dispatching_records_the_carrier_and_tracking_number_once() {
    Test::with(())
        .given(history(ShipmentStatus::Pending))
        .when(dispatch(1))
        .then_expect_events(vec![dispatched(1)]);
    Test::with(())
        .given(history(ShipmentStatus::Dispatched))
        .when(dispatch(1))
        .then_expect_events(vec![]);
    use ShipmentStatus as S;
    invalid_elsewhere(
        dispatch(1),
        "dispatch",
        &[S::Pending, S::Failed, S::Dispatched],
    );
}

#[test]
fn dispatching_again_after_a_failed_delivery_is_a_new_attempt() {
    Test::with(())
        .given(history(ShipmentStatus::Failed))
        .when(dispatch(2))
        .then_expect_events(vec![dispatched(2)]);
}

#[test]
fn delivering_a_dispatched_shipment_records_when_once() {
    let command = ShipmentCommand::Deliver { at: at(2) };
    Test::with(())
        .given(history(ShipmentStatus::Dispatched))
        .when(command.clone())
        .then_expect_events(vec![ShipmentEvent::ShipmentDelivered {
            delivered_at: at(2),
        }]);
    Test::with(())
        .given(history(ShipmentStatus::Delivered))
        .when(command.clone())
        .then_expect_events(vec![]);
    invalid_elsewhere(
        command,
        "deliver",
        &[ShipmentStatus::Dispatched, ShipmentStatus::Delivered],
    );
}

#[test]
fn failing_a_delivery_records_the_reason_once() {
    let command = ShipmentCommand::FailDelivery {
        reason: reason("nobody home"),
        at: at(2),
    };
    Test::with(())
        .given(history(ShipmentStatus::Dispatched))
        .when(command.clone())
        .then_expect_events(vec![failed()]);
    Test::with(())
        .given(history(ShipmentStatus::Failed))
        .when(command.clone())
        .then_expect_events(vec![]);
    invalid_elsewhere(
        command,
        "fail delivery",
        &[ShipmentStatus::Dispatched, ShipmentStatus::Failed],
    );
}

#[test]
fn cancelling_a_pending_shipment_records_the_reason() {
    Test::with(())
        .given(history(ShipmentStatus::Pending))
        .when(ShipmentCommand::Cancel {
            reason: reason("order cancelled"),
        })
        .then_expect_events(vec![ShipmentEvent::ShipmentCancelled {
            reason: reason("order cancelled"),
        }]);
}

#[test]
fn cancelling_a_cancelled_shipment_is_a_no_op() {
    Test::with(())
        .given(history(ShipmentStatus::Cancelled))
        .when(ShipmentCommand::Cancel {
            reason: reason("again"),
        })
        .then_expect_events(vec![]);
}

#[test]
fn cancelling_after_dispatch_is_refused() {
    use ShipmentStatus as S;
    for status in [S::Dispatched, S::Delivered, S::Failed] {
        Test::with(())
            .given(history(status))
            .when(ShipmentCommand::Cancel {
                reason: reason("too late"),
            })
            .then_expect_error(ShipmentError::CannotCancelAfterDispatch);
    }
}

#[test]
fn state_keeps_the_latest_dispatch() {
    let mut aggregate = Shipment::default();
    let events = [history(ShipmentStatus::Failed), vec![dispatched(2)]].concat();
    for event in events {
        crate::Decider::evolve(&mut aggregate, event);
    }
    let state = aggregate.state().unwrap();
    assert_eq!(state.status, ShipmentStatus::Dispatched);
    assert_eq!(state.carrier, Some(carrier()));
    assert_eq!(state.tracking_number, Some(tracking(2)));
    assert_eq!((state.id, state.order_id), (shipment(1), order(1)));
}

#[test]
fn statuses_serialize_as_their_wire_words() {
    for status in ALL {
        let json = serde_json::to_value(status).unwrap();
        assert_eq!(json, serde_json::json!(status.as_str()));
        assert_eq!(
            serde_json::from_value::<ShipmentStatus>(json).unwrap(),
            status
        );
    }
}

#[test]
fn refusals_map_to_their_kinds_and_events_are_version_1() {
    use crate::{Refusal, RefusalKind};
    assert_eq!(ShipmentError::NotFound.kind(), RefusalKind::NotFound);
    assert_eq!(
        ShipmentError::AlreadyExists.kind(),
        RefusalKind::AlreadyExists
    );
    assert_eq!(
        ShipmentError::CannotCancelAfterDispatch.kind(),
        RefusalKind::Rejected
    );
    assert_eq!(ShipmentEvent::SCHEMAS.len(), 5);
    assert!(
        ShipmentEvent::SCHEMAS
            .iter()
            .all(|(_, version)| *version == 1)
    );
}
