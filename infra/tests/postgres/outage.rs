//! A server that goes away and comes back, seen through a TCP proxy the test controls: once
//! the store has found it down, appends fail at once (not after the pool's 5 s wait), and
//! the store recovers by itself when the server is back.

use super::database::{TestDb, server_url};
use infra::event_store::{AppendRequest, EventMetadata, ExpectedVersion, NewEvent, StoreError};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

/// Forwards a local port to the server; stopping it closes every connection and the port.
struct Proxy {
    port: u16,
    accept: tokio::task::JoinHandle<()>,
}

impl Proxy {
    async fn start(port: u16, target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accept = tokio::spawn(async move {
            // Dropped with this task, so stopping the proxy closes every connection too.
            let mut connections = JoinSet::new();
            while let Ok((mut client, _)) = listener.accept().await {
                connections.spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        });
        Proxy { port, accept }
    }

    async fn stop(self) -> u16 {
        self.accept.abort();
        let _ = self.accept.await;
        self.port
    }
}

/// `url` with its host and port replaced by `127.0.0.1:port`.
fn through(url: &str, port: u16) -> (String, SocketAddr) {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (user, host) = match authority.rsplit_once('@') {
        Some((user, host)) => (format!("{user}@"), host),
        None => (String::new(), authority),
    };
    let host = if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:5432")
    };
    let target = std::net::ToSocketAddrs::to_socket_addrs(&host)
        .unwrap()
        .next()
        .unwrap();
    (format!("{scheme}://{user}127.0.0.1:{port}/{path}"), target)
}

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
    let (_, target) = through(&db.url, 0);
    let proxy = Proxy::start(0, target).await;
    let (url, _) = through(&db.url, proxy.port);
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
