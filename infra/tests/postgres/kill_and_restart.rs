//! Durability on PostgreSQL: `kill -9` of an appending process, and a server restart while
//! this process appends (gated: it disturbs every other user of the server).

use super::{Pg, fresh};
use crate::conformance::support::{append, child_binary, parse_ack, stream, with_command};
use infra::event_store::{EventStore, ExpectedVersion, StoreError, Subscription};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use uuid::Uuid;

/// Every acknowledged `(position, event id)` is stored, positions are dense and every
/// stream's hash chain holds.
async fn assert_all_stored(store: &dyn EventStore, acknowledged: &[(u64, Uuid)]) {
    let all = store.read_all(0, usize::MAX).await.unwrap();
    let stored: BTreeSet<_> = all.iter().map(|e| (e.position, e.event_id)).collect();
    for ack in acknowledged {
        assert!(stored.contains(ack), "acknowledged {ack:?} is lost");
    }
    let positions: Vec<_> = all.iter().map(|e| e.position).collect();
    assert_eq!(positions, (1..=all.len() as u64).collect::<Vec<_>>());
    let streams: BTreeSet<_> = all.iter().map(|e| e.stream.clone()).collect();
    for stream in streams {
        assert!(store.verify(&stream).await.unwrap().intact());
    }
}

pub async fn every_acknowledged_append_survives_kill_9(pg: &Pg) {
    let url = pg.db.url.clone();
    let acknowledged = tokio::task::spawn_blocking(move || {
        let mut child = Command::new(child_binary())
            .arg(&url)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut acknowledged = Vec::new();
        while acknowledged.len() < 300 {
            let line = lines.next().expect("the child stopped early").unwrap();
            acknowledged.push(parse_ack(&line));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        acknowledged.extend(
            lines
                .map_while(Result::ok)
                .filter(|l| !l.is_empty())
                .map(|l| parse_ack(&l)),
        );
        acknowledged
    })
    .await
    .unwrap();
    assert_all_stored(pg.store.as_ref(), &acknowledged).await;
}

/// Appends with command ids, retrying an unanswered append with the same id (so a retry of
/// an append that did commit appends nothing), until told to stop.
async fn append_through_outages(
    store: Arc<dyn EventStore>,
    stop: Arc<AtomicBool>,
) -> (Vec<(u64, Uuid)>, usize) {
    let s = stream("restart");
    let (mut acks, mut failures) = (Vec::new(), 0);
    for version in 0u64.. {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let request = with_command(
            append(&s, ExpectedVersion::Exact(version), 1),
            Uuid::now_v7(),
        );
        let event_id = request.events[0].event_id;
        loop {
            match store.append(request.clone()).await {
                Ok(outcome) => {
                    acks.push((outcome.last_position, event_id));
                    break;
                }
                Err(StoreError::Unavailable(_)) => {
                    failures += 1;
                    assert!(failures < 2_000, "the store did not come back");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(e) => panic!("append failed: {e}"),
            }
        }
    }
    (acks, failures)
}

fn restart_server() {
    let command = std::env::var("ECOMMERCE_TEST_POSTGRES_RESTART_COMMAND").unwrap_or_else(|_| {
        "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main restart".into()
    });
    let status = Command::new("sh").args(["-c", &command]).status().unwrap();
    assert!(status.success(), "{command} failed");
}

pub async fn a_server_restart_mid_append_loses_nothing_and_the_store_reconnects() {
    if std::env::var("ECOMMERCE_TEST_POSTGRES_RESTART").as_deref() != Ok("1") {
        eprintln!("skipped: set ECOMMERCE_TEST_POSTGRES_RESTART=1 to restart the server (alone)");
        return;
    }
    let Some(pg) = fresh().await else { return };
    let store: Arc<dyn EventStore> = pg.store.clone();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..8)
        .map(|_| tokio::spawn(append_through_outages(store.clone(), stop.clone())))
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = store.head().await.unwrap();
    tokio::task::spawn_blocking(restart_server).await.unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::Relaxed);
    let (mut acknowledged, mut failures) = (Vec::new(), 0);
    for writer in writers {
        let (acks, failed) = writer.await.unwrap();
        acknowledged.extend(acks);
        failures += failed;
    }
    eprintln!(
        "{} appends acknowledged ({before} before the restart), {failures} failed attempts",
        acknowledged.len()
    );
    assert!(
        acknowledged.iter().any(|(p, _)| *p > before + 100),
        "the store did not append after the restart"
    );
    assert_all_stored(store.as_ref(), &acknowledged).await;

    // The listener reconnected: another instance's commit wakes a subscriber of this one.
    let other = pg.second_store().await;
    let head = store.head().await.unwrap();
    let mut subscription =
        Subscription::new(store.clone(), head).poll_interval(Duration::from_secs(3600));
    let waiter = tokio::spawn(async move { subscription.next_batch().await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    other
        .append(append(&stream("t"), ExpectedVersion::Any, 1))
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(10), waiter)
        .await
        .expect("the listener reconnected after the restart")
        .unwrap()
        .unwrap();
}
