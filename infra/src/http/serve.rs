//! The accept loop every HTTP service runs, with the bounds a public server needs and that
//! `axum::serve` does not set:
//!
//! - at most `max_connections` open connections: past that, new ones wait in the kernel's
//!   backlog until one closes;
//! - a client has `header_read_timeout` to send a request's headers, counted from when the
//!   server waits for them: a connection that sends nothing, one that never finishes its
//!   headers (slowloris) and a kept-alive connection left idle are all closed;
//! - each request carries the peer's address (`ConnectInfo<SocketAddr>`), for the limits
//!   that count per client;
//! - on shutdown, it stops accepting, lets every connection finish the request it is serving
//!   for up to `drain`, then returns.
//!
//! It speaks HTTP/1.1 only: TLS and HTTP/2 end at the reverse proxy. (Serving cleartext
//! HTTP/2 too means sniffing each connection's first bytes, a step no timeout covers.)

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1::Builder;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt;

/// Bounds of the accept loop.
#[derive(Debug, Clone, Copy)]
pub struct ServeLimits {
    /// Open connections at most.
    pub max_connections: usize,
    /// The longest a client may take to send a request's headers.
    pub header_read_timeout: Duration,
    /// On shutdown, the longest the requests in flight may take to finish.
    pub drain: Duration,
}

/// Serves `router` on `listener` until `shutdown` completes, then lets the requests in
/// flight finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServeLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let max = limits.max_connections.clamp(1, Semaphore::MAX_PERMITS);
    let open = Arc::new(Semaphore::new(max));
    let mut builder = Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let (stopping, stop) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = open.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(&e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = router
            .clone()
            .map_request(move |request: Request<Incoming>| {
                let mut request = request.map(Body::new);
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            });
        let connection =
            builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let mut stop = stop.clone();
        tokio::spawn(async move {
            tokio::pin!(connection);
            let mut stopping = false;
            loop {
                tokio::select! {
                    served = connection.as_mut() => {
                        if let Err(e) = served {
                            tracing::trace!(error = %e, "connection ended with an error");
                        }
                        break;
                    }
                    _ = stop.wait_for(|s| *s), if !stopping => {
                        stopping = true;
                        connection.as_mut().graceful_shutdown();
                    }
                }
            }
            drop(permit);
        });
    }
    drop(listener);
    let _ = stopping.send(true);
    // Every connection holds a permit until it ends: all of them back means all are done.
    let _ = open
        .acquire_many(u32::try_from(max).unwrap_or(u32::MAX))
        .await;
    Ok(())
}

/// An accept error: a connection that failed before we took it is nothing; running out of
/// file descriptors is waited out, so the loop does not spin.
async fn accept_failed(error: &std::io::Error) {
    use std::io::ErrorKind as K;
    if matches!(
        error.kind(),
        K::ConnectionAborted | K::ConnectionReset | K::ConnectionRefused | K::Interrupted
    ) {
        return;
    }
    tracing::warn!(%error, "cannot accept a connection; pausing");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use std::io::{Read, Write};
    use std::net::SocketAddr;

    async fn spawn(limits: ServeLimits) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = Router::new().route(
            "/peer",
            get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.ip().to_string() }),
        );
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(serve(listener, router, limits, async move {
            let _ = stopped.await;
        }));
        (addr, stop)
    }

    /// Connects, sends `sent`, and says whether the server closed the connection (with an
    /// error answer or none) rather than leaving it open for 20 s.
    fn closed_by_server(addr: SocketAddr, sent: &[u8]) -> bool {
        let mut slow = std::net::TcpStream::connect(addr).unwrap();
        slow.set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        slow.write_all(sent).unwrap();
        let mut buffer = [0u8; 256];
        loop {
            match slow.read(&mut buffer) {
                Ok(0) => return true,
                Ok(_) => continue,
                Err(e) => {
                    return !matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    );
                }
            }
        }
    }

    fn get_peer(addr: SocketAddr) -> String {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        write!(
            stream,
            "GET /peer HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_client_that_sends_nothing_or_never_finishes_its_headers_is_disconnected() {
        let limits = ServeLimits {
            max_connections: 16,
            header_read_timeout: Duration::from_millis(300),
            drain: Duration::from_secs(1),
        };
        let (addr, _stop) = spawn(limits).await;
        let sends: [&'static [u8]; 3] = [
            b"GET /peer HTTP/1.1\r\nhost: x\r\n",
            b"",
            b"PRI * HTTP/2.0\r\n",
        ];
        for sent in sends {
            let closed = tokio::task::spawn_blocking(move || closed_by_server(addr, sent))
                .await
                .unwrap();
            assert!(closed, "a client that sent {sent:?} was left connected");
        }
        let answer = tokio::task::spawn_blocking(move || get_peer(addr))
            .await
            .unwrap();
        assert!(answer.ends_with("127.0.0.1"), "{answer}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn connections_past_the_bound_wait_until_one_closes() {
        let limits = ServeLimits {
            max_connections: 2,
            header_read_timeout: Duration::from_secs(60),
            drain: Duration::from_secs(1),
        };
        let (addr, _stop) = spawn(limits).await;
        // Two kept-alive connections, each served once, so both surely hold their place.
        let held = tokio::task::spawn_blocking(move || {
            (0..2)
                .map(|_| {
                    let mut s = std::net::TcpStream::connect(addr).unwrap();
                    s.write_all(b"GET /peer HTTP/1.1\r\nhost: x\r\n\r\n")
                        .unwrap();
                    let mut answer = Vec::new();
                    let mut buffer = [0u8; 512];
                    while !answer.ends_with(b"127.0.0.1") {
                        let n = s.read(&mut buffer).unwrap();
                        assert!(n > 0, "closed early");
                        answer.extend_from_slice(&buffer[..n]);
                    }
                    s
                })
                .collect::<Vec<_>>()
        })
        .await
        .unwrap();
        let (answered, was_answered) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = answered.send(get_peer(addr));
        });
        assert!(
            was_answered
                .recv_timeout(Duration::from_millis(500))
                .is_err(),
            "a third connection was served while two were open"
        );
        drop(held);
        let answer = was_answered.recv_timeout(Duration::from_secs(20)).unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }
}
