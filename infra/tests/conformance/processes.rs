//! Several OS processes append to one store at once while a subscriber in this process
//! tails the global log: it must see every event exactly once, in order.

use super::Harness;
use super::support::{child_binary, parse_ack};
use infra::event_store::Subscription;
use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

const CHILDREN: usize = 4;
const TASKS: usize = 4;
const APPENDS: usize = 40;

pub async fn several_processes_append_while_a_subscriber_tails(h: &impl Harness) {
    let Some(url) = h.child_store() else {
        eprintln!("skipped: this backend cannot be shared with child processes");
        return;
    };
    let store = h.store();
    let total = CHILDREN * TASKS * APPENDS;
    // Other processes cannot wake this one on every backend: poll often as the fallback.
    let mut subscription = Subscription::new(store.clone(), 0)
        .batch_size(13)
        .poll_interval(Duration::from_millis(50));
    let reader = tokio::spawn(async move {
        let mut seen = Vec::new();
        while seen.len() < total {
            seen.extend(subscription.next_batch().await.unwrap());
        }
        seen
    });
    let children: Vec<_> = (0..CHILDREN)
        .map(|c| {
            let url = url.clone();
            tokio::task::spawn_blocking(move || {
                let mut child = Command::new(child_binary())
                    .args([&url, "--appends", &APPENDS.to_string()])
                    .args([
                        "--tasks",
                        &TASKS.to_string(),
                        "--prefix",
                        &format!("proc{c}"),
                    ])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::inherit())
                    .spawn()
                    .unwrap();
                let stdout = BufReader::new(child.stdout.take().unwrap());
                let acks: Vec<_> = stdout.lines().map(|l| parse_ack(&l.unwrap())).collect();
                assert!(child.wait().unwrap().success(), "child {c} failed");
                acks
            })
        })
        .collect();
    let mut acknowledged = Vec::new();
    for child in children {
        acknowledged.extend(child.await.unwrap());
    }
    assert_eq!(
        acknowledged.len(),
        total,
        "a child acknowledged too few appends"
    );
    let seen = tokio::time::timeout(Duration::from_secs(60), reader)
        .await
        .expect("the subscriber caught up")
        .unwrap();
    assert_eq!(seen.len(), total);
    assert!(
        seen.windows(2).all(|w| w[0].position < w[1].position),
        "positions out of order"
    );
    let unique: HashSet<_> = seen.iter().map(|e| (e.position, e.event_id)).collect();
    assert_eq!(unique.len(), total, "an event was delivered twice");
    for ack in &acknowledged {
        assert!(
            unique.contains(ack),
            "acknowledged {ack:?} was not delivered"
        );
    }
    let full = store.read_all(0, total + 10).await.unwrap();
    let full: Vec<_> = full.iter().map(|e| (e.position, e.event_id)).collect();
    let seen: Vec<_> = seen.iter().map(|e| (e.position, e.event_id)).collect();
    assert_eq!(seen, full, "the subscriber differs from a full read");
    if h.dense_positions() {
        assert_eq!(seen.last().map(|e| e.0), Some(total as u64));
    }
}
