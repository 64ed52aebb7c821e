//! `ecommerce log stats|read` against a real data folder.

use super::{ecommerce, refused, stdout};
use domain::schema::Upcasters;
use infra::event_store::{AppendRequest, EventMetadata, EventStore, ExpectedVersion, NewEvent};
use infra::{SqliteConfig, SqliteEventStore};
use serde_json::{Value, json};
use std::path::Path;
use std::process::Output;

fn stdout_lines(output: &Output) -> Vec<Value> {
    stdout(output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Two streams: `a-1` with three events, `b-1` with two, interleaved.
async fn seed(data_dir: &Path) {
    let store = SqliteEventStore::open(
        SqliteConfig::new(data_dir.join("events.db")),
        Upcasters::domain(),
    )
    .unwrap();
    for (stream, n) in [("a-1", 0), ("b-1", 0), ("a-1", 1), ("b-1", 1), ("a-1", 2)] {
        store
            .append(AppendRequest {
                stream: stream.into(),
                expected: ExpectedVersion::Exact(n),
                events: vec![NewEvent::new("Tick", 1, json!({ "n": n }))],
                metadata: EventMetadata::new(chrono::Utc::now()),
            })
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn log_stats_counts_events_and_streams() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path()).await;
    let stats = &stdout_lines(&ecommerce(dir.path(), &["log", "stats", "--json"]))[0];
    assert_eq!(stats["events"], 5);
    assert_eq!(stats["streams"], 2);
    assert_eq!(stats["head_position"], 5);
    assert!(stats["size_bytes"].as_u64().unwrap() > 0);
    let table = ecommerce(dir.path(), &["log", "stats"]);
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(table.contains("head position  5"), "{table}");
    assert!(table.contains("store          SQLite "), "{table}");
}

#[tokio::test]
async fn log_read_prints_json_lines_from_a_position_or_a_stream() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path()).await;
    let all = stdout_lines(&ecommerce(dir.path(), &["log", "read"]));
    let positions: Vec<_> = all
        .iter()
        .map(|e| e["position"].as_u64().unwrap())
        .collect();
    assert_eq!(positions, vec![1, 2, 3, 4, 5]);
    assert_eq!(all[0]["event_type"], "Tick");
    assert!(all[0]["metadata"]["correlation_id"].is_string());

    let page = stdout_lines(&ecommerce(
        dir.path(),
        &["log", "read", "--from", "2", "--limit", "2"],
    ));
    let positions: Vec<_> = page
        .iter()
        .map(|e| e["position"].as_u64().unwrap())
        .collect();
    assert_eq!(positions, vec![2, 3]);

    let stream = stdout_lines(&ecommerce(
        dir.path(),
        &["log", "read", "--stream", "a-1", "--from", "2"],
    ));
    let versions: Vec<_> = stream
        .iter()
        .map(|e| e["version"].as_u64().unwrap())
        .collect();
    assert_eq!(versions, vec![2, 3]);
    assert!(stream.iter().all(|e| e["stream"] == "a-1"));
}

#[test]
fn a_wrong_data_dir_is_a_clear_error_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("typo");
    let output = ecommerce(&missing, &["log", "stats"]);
    let stderr = refused(&output);
    assert!(stderr.contains("cannot open the event store"), "{stderr}");
    assert!(!missing.exists());
}

#[test]
fn bad_arguments_are_refused_with_usage() {
    let dir = tempfile::tempdir().unwrap();
    let output = ecommerce(dir.path(), &["log", "read", "--from", "minus-one"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--from"));
}

#[test]
fn the_event_store_flag_selects_a_backend_and_refuses_unknown_or_unreachable_ones() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("elsewhere.db");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let url = format!("sqlite:{}", file.display());
        let store = infra::event_store::open(Some(&url), dir.path())
            .await
            .unwrap();
        store
            .append(AppendRequest {
                stream: "c-1".into(),
                expected: ExpectedVersion::NoStream,
                events: vec![NewEvent::new("Tick", 1, json!({}))],
                metadata: EventMetadata::new(chrono::Utc::now()),
            })
            .await
            .unwrap();
    });
    let url = format!("sqlite:{}", file.display());
    let stats = &stdout_lines(&ecommerce(
        dir.path(),
        &["log", "stats", "--json", "--event-store", &url],
    ))[0];
    assert_eq!(stats["events"], 1);

    for (url, expected) in [
        ("mysql://h/db", "unknown event store"),
        ("postgres://postgres@127.0.0.1:1/none", "cannot reach"),
    ] {
        let output = ecommerce(dir.path(), &["log", "stats", "--event-store", url]);
        let stderr = refused(&output);
        assert!(stderr.contains(expected), "{url}: {stderr}");
    }
}

#[tokio::test]
async fn log_read_never_prints_a_password_hash() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteEventStore::open(
        SqliteConfig::new(dir.path().join("events.db")),
        Upcasters::domain(),
    )
    .unwrap();
    let hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo";
    store
        .append(AppendRequest {
            stream: "user-1".into(),
            expected: ExpectedVersion::NoStream,
            events: vec![NewEvent::new(
                "UserPasswordChanged",
                1,
                json!({ "password_hash": hash, "kept": "yes" }),
            )],
            metadata: EventMetadata::new(chrono::Utc::now()),
        })
        .await
        .unwrap();
    let output = ecommerce(dir.path(), &["log", "read"]);
    assert!(!String::from_utf8_lossy(&output.stdout).contains("argon2id"));
    let event = &stdout_lines(&output)[0];
    assert_eq!(event["payload"]["password_hash"], "[redacted]");
    assert_eq!(event["payload"]["kept"], "yes");
}
