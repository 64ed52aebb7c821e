//! Unit tests of the KurrentDB conversions; no server needed.

use super::*;
use crate::event_store::hash;

#[test]
fn versions_and_revisions_are_off_by_one() {
    assert_eq!(version_of(CurrentRevision::NoStream), 0);
    assert_eq!(version_of(CurrentRevision::Current(0)), 1);
    assert_eq!(version_of(CurrentRevision::Current(41)), 42);
    assert_eq!(state_at(0), StreamState::NoStream);
    assert_eq!(state_at(1), StreamState::StreamRevision(0));
    assert_eq!(
        expected_state(ExpectedVersion::NoStream),
        StreamState::NoStream
    );
    assert_eq!(
        expected_state(ExpectedVersion::Exact(0)),
        StreamState::NoStream
    );
    assert_eq!(
        expected_state(ExpectedVersion::Exact(5)),
        StreamState::StreamRevision(4)
    );
    assert_eq!(expected_state(ExpectedVersion::Any), StreamState::Any);
}

#[test]
fn positions_are_commit_positions_and_zero_reads_from_the_start() {
    assert_eq!(read_from(0), StreamPosition::Start);
    assert_eq!(
        read_from(1234),
        StreamPosition::Position(kurrentdb::Position {
            commit: 1234,
            prepare: 1234
        })
    );
    let p = kurrentdb::Position {
        commit: 99,
        prepare: 98,
    };
    assert_eq!(position_of(p), 99);
}

#[test]
fn event_ids_derive_from_the_command_id_deterministically() {
    let command = Uuid::now_v7();
    let given = Uuid::now_v7();
    assert_eq!(event_id(None, 0, given), given);
    let first = event_id(Some(command), 0, given);
    assert_eq!(first, event_id(Some(command), 0, Uuid::now_v7()));
    assert_ne!(first, event_id(Some(command), 1, given));
    assert_ne!(first, event_id(Some(Uuid::now_v7()), 0, given));
    assert_eq!(first.get_version_num(), 5);
}

#[test]
fn metadata_round_trips_through_custom_metadata_and_the_chain_verifies() {
    let custom = CustomMetadata {
        metadata: r#"{"correlation_id":"0190f0a0-0000-7000-8000-000000000001","occurred_at":"2026-01-01T00:00:00Z"}"#.into(),
        schema_version: 2,
        recorded_at: "2026-01-01T00:00:00.000001Z".into(),
        hash: String::new(),
        command_id: Some(Uuid::from_u128(7)),
    };
    let payload = r#"{"n":1,"text":"ünïcode"}"#;
    let event_id = Uuid::from_u128(9);
    let mut stored = stored_event(&Fetched {
        stream: "order-1",
        revision: 0,
        event_id,
        event_type: "OrderPlaced",
        data: payload.as_bytes(),
        custom_metadata: &serde_json::to_vec(&custom).unwrap(),
        position: 512,
    })
    .unwrap();
    assert_eq!((stored.version, stored.position), (1, 512));
    assert_eq!(
        (stored.payload.as_str(), stored.schema_version),
        (payload, 2)
    );
    assert_eq!(stored.metadata, custom.metadata);
    assert_eq!(stored.recorded_at, custom.recorded_at);
    // The link computed at append time from the same fields verifies on read.
    stored.hash = hash::to_hex(&hash::link(&hash::GENESIS, &stored.link_input()));
    let report = crate::event_store::hash::verify_chain("order-1", [stored]);
    assert!(report.intact());
}

#[test]
fn unreadable_custom_metadata_is_corrupt_not_a_panic() {
    let error = stored_event(&Fetched {
        stream: "s",
        revision: 3,
        event_id: Uuid::nil(),
        event_type: "T",
        data: b"{}",
        custom_metadata: b"not json",
        position: 77,
    })
    .unwrap_err();
    assert!(matches!(error, StoreError::Corrupt { position: 77, .. }));
}

#[test]
fn client_errors_map_to_conflicts_and_transient_failures() {
    let conflict = store_error(
        kurrentdb::Error::WrongExpectedVersion {
            expected: StreamState::NoStream,
            current: CurrentRevision::Current(2),
        },
        "s-1",
        ExpectedVersion::NoStream,
    );
    assert!(
        matches!(conflict, StoreError::Conflict { current: 3, ref stream, .. } if stream == "s-1")
    );
    for transient in [
        kurrentdb::Error::ConnectionClosed,
        kurrentdb::Error::DeadlineExceeded,
        kurrentdb::Error::Grpc {
            code: tonic::Code::Unavailable,
            message: "down".into(),
        },
    ] {
        assert!(read_error(transient).is_transient());
    }
    assert!(matches!(
        read_error(kurrentdb::Error::AccessDenied),
        StoreError::Backend(_)
    ));
}

#[test]
fn system_events_and_command_records_are_hidden() {
    assert!(hidden("$stats-1", "x"));
    assert!(hidden("s", "$metadata"));
    assert!(hidden(&command_stream(Uuid::nil()), "CommandRecorded"));
    assert!(!hidden("order-1", "OrderPlaced"));
}
