//! A server that goes away and comes back, seen through a TCP proxy the test controls: once
//! the store has found it down, appends fail at once (not after the pool's 5 s wait), and
//! the store recovers by itself when the server is back.

use super::database::{TestDb, server_url};
use crate::proxy::{Proxy, through};
use infra::event_store::{AppendRequest, EventMetadata, ExpectedVersion, NewEvent, StoreError};
use std::time::{Duration, Instant};

fn tick(n: usize) -> AppendRequest {
    AppendRequest {
        stream: "outage-1".into(),
        expected: ExpectedVersion::Any,
        events: vec![NewEvent::new("Tick", 1, serde_json::json!({ "n": n }))],
        metadata: EventMetadata::new(chrono::Utc::now()),
    }
}

pub async fn a_store_found_down_fails_fast_and_recovers() {
    let Some(server) = server_url() else { return };
    let db = TestDb::create(&server).await;
    let (_, target) = through(&db.url, 0, 5432);
    let proxy = Proxy::start(0, target).await;
    let (url, _) = through(&db.url, proxy.port, 5432);
    let store = infra::event_store::open(Some(&url), std::path::Path::new("."))
        .await
        .unwrap();
    store.append(tick(0)).await.unwrap();

    let port = proxy.stop().await;
    // The first call finds the server gone (it may wait for the pool to give up).
    let first = store.append(tick(1)).await;
    assert!(
        matches!(first, Err(StoreError::Unavailable(_))),
        "{first:?}"
    );
    // The next ones are answered at once, while the store probes in the background.
    for n in 2..7 {
        let started = Instant::now();
        let answer = store.append(tick(n)).await;
        assert!(
            matches!(answer, Err(StoreError::Unavailable(_))),
            "{answer:?}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "a call to a store known down took {:?}",
            started.elapsed()
        );
    }

    // Back: the store finds it again by itself.
    let _proxy = Proxy::start(port, target).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match store.append(tick(7)).await {
            Ok(_) => break,
            Err(e) => {
                assert!(Instant::now() < deadline, "never recovered: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    let events = store.read_stream("outage-1", 1).await.unwrap();
    let numbers: Vec<_> = events.iter().map(|e| e.payload["n"].clone()).collect();
    assert_eq!(numbers, [serde_json::json!(0), serde_json::json!(7)]);
}
