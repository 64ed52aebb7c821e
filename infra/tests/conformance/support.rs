//! Builders for the conformance checks.

use chrono::Utc;
use infra::event_store::{AppendRequest, EventMetadata, ExpectedVersion, NewEvent};
use serde_json::json;
use uuid::Uuid;

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
