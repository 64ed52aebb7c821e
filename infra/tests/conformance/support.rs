//! Builders for the conformance checks.

use chrono::Utc;
use infra::event_store::{AppendRequest, EventMetadata, ExpectedVersion, NewEvent};
use serde_json::json;
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// The appending child, built by `cargo test` from `examples/append_until_killed.rs`.
pub fn child_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(Path::parent).unwrap();
    let child = profile_dir.join("examples").join(format!(
        "append_until_killed{}",
        std::env::consts::EXE_SUFFIX
    ));
    assert!(
        child.exists(),
        "{} is missing: run the tests with cargo test, which builds the examples",
        child.display()
    );
    child
}

/// Parses a child's `ack <position> <event id>` line.
pub fn parse_ack(line: &str) -> (u64, Uuid) {
    let mut parts = line.split_whitespace();
    assert_eq!(
        parts.next(),
        Some("ack"),
        "unexpected child output {line:?}"
    );
    let position = parts.next().unwrap().parse().unwrap();
    let event_id = parts.next().unwrap().parse().unwrap();
    (position, event_id)
}

/// A new stream name.
pub fn stream(kind: &str) -> String {
    format!("{kind}-{}", Uuid::now_v7())
}

/// Metadata with a fresh correlation id and no command id.
pub fn metadata() -> EventMetadata {
    EventMetadata {
        correlation_id: Uuid::now_v7(),
        causation_id: Some(Uuid::now_v7()),
        user_id: Some("tester".into()),
        command_id: None,
        occurred_at: Utc::now(),
        idempotency_key: Some("key-1".into()),
        request_hash: Some("abc".into()),
    }
}

/// `n` small events numbered from `first`.
pub fn events(first: usize, n: usize) -> Vec<NewEvent> {
    (first..first + n)
        .map(|i| NewEvent::new("ThingHappened", 1, json!({ "n": i, "text": "ünïcode ✓" })))
        .collect()
}

/// An append of `n` events.
pub fn append(stream: &str, expected: ExpectedVersion, n: usize) -> AppendRequest {
    AppendRequest {
        stream: stream.to_owned(),
        expected,
        events: events(0, n),
        metadata: metadata(),
    }
}

/// The same append carrying a command id.
pub fn with_command(mut request: AppendRequest, command_id: Uuid) -> AppendRequest {
    request.metadata.command_id = Some(command_id);
    request
}
