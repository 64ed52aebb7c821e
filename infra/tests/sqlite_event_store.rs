//! The SQLite event store: the conformance suite on a fresh file per test, plus what only a
//! file can show (a `kill -9` mid-append, SQLite's own integrity check).

// A failed step aborts the run with its message; that is what unwrap is for here.
#![allow(clippy::unwrap_used)]

mod conformance;

use async_trait::async_trait;
use conformance::Harness;
use conformance::support::{child_binary, parse_ack};
use domain::schema::Upcasters;
use infra::event_store::stored::StoredEvent;
use infra::event_store::{EventStore, Position};
use infra::{SqliteConfig, SqliteEventStore};
use rusqlite::{Connection, params};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use tempfile::TempDir;
use uuid::Uuid;

struct Sqlite {
    _dir: TempDir,
    path: PathBuf,
    store: Arc<SqliteEventStore>,
}

async fn fresh() -> Option<Sqlite> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.db");
    let store = SqliteEventStore::open(SqliteConfig::new(&path), Upcasters::domain()).unwrap();
    Some(Sqlite {
        _dir: dir,
        path,
        store: Arc::new(store),
    })
}

#[async_trait]
impl Harness for Sqlite {
    fn store(&self) -> Arc<dyn EventStore> {
        self.store.clone()
    }

    fn dense_positions(&self) -> bool {
        true
    }

    fn keeps_snapshots(&self) -> bool {
        true
    }

    fn child_store(&self) -> Option<String> {
        Some(format!("sqlite:{}", self.path.display()))
    }

    async fn tamper_payload(&self, position: Position, payload: &str) -> bool {
        let conn = Connection::open(&self.path).unwrap();
        let changed = conn
            .execute(
                "UPDATE events SET payload = ?1 WHERE position = ?2",
                params![payload, position],
            )
            .unwrap();
        assert_eq!(changed, 1);
        true
    }

    async fn delete_event(&self, position: Position) -> bool {
        let conn = Connection::open(&self.path).unwrap();
        let deleted = conn
            .execute("DELETE FROM events WHERE position = ?1", [position])
            .unwrap();
        assert_eq!(deleted, 1);
        true
    }

    async fn insert_raw(&self, e: &StoredEvent) {
        let conn = Connection::open(&self.path).unwrap();
        conn.execute(
            "INSERT INTO events (position, stream, version, event_id, event_type, schema_version,
                                 payload, metadata, recorded_at, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                e.position,
                e.stream,
                e.version,
                e.event_id.as_bytes(),
                e.event_type,
                e.schema_version,
                e.payload,
                e.metadata,
                e.recorded_at,
                link(&e.hash)
            ],
        )
        .unwrap();
        conn.execute(
            "INSERT OR REPLACE INTO streams (stream, version, hash) VALUES (?1, ?2, ?3)",
            params![e.stream, e.version, link(&e.hash)],
        )
        .unwrap();
    }
}

fn link(hex: &str) -> [u8; 32] {
    infra::event_store::hash::from_hex(hex).unwrap()
}

conformance_suite!(fresh);

#[test]
fn every_acknowledged_append_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.db");
    let mut child = Command::new(child_binary())
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut acknowledged: Vec<(Position, Uuid)> = Vec::new();
    while acknowledged.len() < 300 {
        let line = lines.next().expect("the child stopped early").unwrap();
        acknowledged.push(parse_ack(&line));
    }
    // SIGKILL: no destructor, no flush, no checkpoint.
    child.kill().unwrap();
    child.wait().unwrap();
    // Whatever the child acknowledged before dying is still in the pipe.
    for line in lines {
        match line {
            Ok(line) if !line.is_empty() => acknowledged.push(parse_ack(&line)),
            _ => break,
        }
    }

    let conn = Connection::open(&path).unwrap();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    for (position, event_id) in &acknowledged {
        let stored: [u8; 16] = conn
            .query_row(
                "SELECT event_id FROM events WHERE position = ?1",
                [position],
                |r| r.get(0),
            )
            .unwrap_or_else(|_| panic!("acknowledged position {position} is lost"));
        assert_eq!(&Uuid::from_bytes(stored), event_id);
    }
    drop(conn);

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = SqliteEventStore::open(SqliteConfig::new(&path), Upcasters::domain()).unwrap();
        let all = store.read_all(0, usize::MAX).await.unwrap();
        let positions: Vec<_> = all.iter().map(|e| e.position).collect();
        assert_eq!(positions, (1..=all.len() as u64).collect::<Vec<_>>());
        let streams: std::collections::BTreeSet<_> = all.iter().map(|e| e.stream.clone()).collect();
        for stream in streams {
            assert!(store.verify(&stream).await.unwrap().intact());
        }
    });
}

#[tokio::test]
async fn a_missing_file_is_not_created_when_creation_is_off() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = SqliteConfig::new(dir.path().join("nope.db"));
    config.create = false;
    assert!(SqliteEventStore::open(config, Upcasters::domain()).is_err());
    assert!(!dir.path().join("nope.db").exists());
}

#[tokio::test]
async fn the_wal_is_checkpointed_off_the_write_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.db");
    let store = SqliteEventStore::open(SqliteConfig::new(&path), Upcasters::domain()).unwrap();
    for i in 0..200 {
        let request = infra::event_store::AppendRequest {
            stream: "s-1".into(),
            expected: infra::event_store::ExpectedVersion::Exact(i),
            events: vec![infra::event_store::NewEvent::new(
                "Tick",
                1,
                serde_json::json!({"i": i}),
            )],
            metadata: infra::event_store::EventMetadata::new(chrono::Utc::now()),
        };
        store.append(request).await.unwrap();
    }
    // Nothing reaches the database file but through a checkpoint, and the writer does none.
    let db_size = || std::fs::metadata(&path).unwrap().len();
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    assert!(
        db_size() >= 40 * 1024,
        "not checkpointed: {} bytes",
        db_size()
    );
    let conn = Connection::open(&path).unwrap();
    let events: i64 = conn
        .query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(events, 200);
}

/// The WAL's size on disk, 0 when there is none.
fn wal_size(db: &std::path::Path) -> u64 {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(wal).map_or(0, |m| m.len())
}

/// Appends from four writers while two readers tail the log, so a passive checkpoint never
/// finishes: the WAL must still stay near its limit while the writes go on, and come back
/// under it once they stop (a passive checkpoint alone leaves it at its largest for good).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_wal_stays_bounded_under_steady_appends_and_readers() {
    const LIMIT: u64 = 1024 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.db");
    let mut config = SqliteConfig::new(&path);
    config.durability = infra::sqlite::Durability::Normal;
    config.wal_limit = LIMIT;
    let store = Arc::new(SqliteEventStore::open(config, Upcasters::domain()).unwrap());
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (store, done) = (store.clone(), done.clone());
            tokio::spawn(async move {
                let mut after = 0;
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    let batch = store.read_all(after, 100).await.unwrap();
                    after = batch.last().map_or(after, |e| e.position);
                    if batch.is_empty() {
                        tokio::task::yield_now().await;
                    }
                }
            })
        })
        .collect();
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let store = store.clone();
            tokio::spawn(async move {
                for i in 0..1500u64 {
                    let request = infra::event_store::AppendRequest {
                        stream: format!("s-{w}-{}", i % 50),
                        expected: infra::event_store::ExpectedVersion::Any,
                        events: vec![infra::event_store::NewEvent::new(
                            "Tick",
                            1,
                            serde_json::json!({"i": i, "pad": "x".repeat(400)}),
                        )],
                        metadata: infra::event_store::EventMetadata::new(chrono::Utc::now()),
                    };
                    store.append(request).await.unwrap();
                }
            })
        })
        .collect();
    let mut largest = 0;
    while writers.iter().any(|w| !w.is_finished()) {
        largest = largest.max(wal_size(&path));
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    // The writer truncates it past the limit, so it passes the limit by about a batch; with
    // passive checkpoints alone it grows to the size of everything written (about 28 MB).
    assert!(
        largest < 8 * LIMIT,
        "the WAL grew to {largest} bytes while the writes went on (limit {LIMIT})"
    );
    for writer in writers {
        writer.await.unwrap();
    }
    // The fact waited for: the WAL is back under its limit (a checkpoint every 250 ms).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while wal_size(&path) > LIMIT {
        assert!(
            std::time::Instant::now() < deadline,
            "the WAL stayed at {} bytes after the writes (largest {largest})",
            wal_size(&path)
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    for reader in readers {
        reader.await.unwrap();
    }
    eprintln!("largest WAL while writing: {largest} bytes (limit {LIMIT})");
    assert_eq!(store.head().await.unwrap(), 6000);
}

/// A snapshot that cannot be written fails alone: the appends committed in the same
/// transaction as it still land.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_snapshot_that_cannot_be_written_never_fails_an_append() {
    use conformance::support::append;
    use infra::event_store::{ExpectedVersion, Snapshot};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.db");
    let store = SqliteEventStore::open(SqliteConfig::new(&path), Upcasters::domain()).unwrap();
    Connection::open(&path)
        .unwrap()
        .execute_batch(
            "CREATE TRIGGER no_snapshots BEFORE INSERT ON snapshots
             BEGIN SELECT RAISE(ABORT, 'snapshots are refused'); END;",
        )
        .unwrap();
    let first = conformance::support::stream("thing");
    store
        .append(append(&first, ExpectedVersion::NoStream, 1))
        .await
        .unwrap();
    let snapshot = || Snapshot {
        stream: first.clone(),
        version: 1,
        position: 0,
        state_version: 1,
        state: "{}".into(),
    };
    // Many pairs at once, so that the writer puts snapshots and appends in one batch.
    let pairs = (0..50).map(|_| {
        let store = store.clone();
        let (snapshot, stream) = (snapshot(), conformance::support::stream("thing"));
        async move {
            let (saved, appended) = tokio::join!(
                store.save_snapshot(snapshot),
                store.append(append(&stream, ExpectedVersion::NoStream, 1)),
            );
            (saved.is_err(), appended)
        }
    });
    for (refused, appended) in futures_util::future::join_all(pairs).await {
        assert!(refused, "the trigger refuses every snapshot");
        appended.unwrap();
    }
    assert_eq!(store.stats().await.unwrap().events, 51);
    assert_eq!(store.load_snapshot(&first).await.unwrap(), None);
}
