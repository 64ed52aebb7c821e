//! A TCP proxy a test controls, to take a server away from a store and bring it back: stopping
//! it closes every connection and the port; starting it again on the same port lets the
//! store reconnect.

use std::net::SocketAddr;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

/// Forwards a local port to the server; stopping it closes every connection and the port.
pub struct Proxy {
    pub port: u16,
    accept: tokio::task::JoinHandle<()>,
}

impl Proxy {
    pub async fn start(port: u16, target: SocketAddr) -> Proxy {
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

    pub async fn stop(self) -> u16 {
        self.accept.abort();
        let _ = self.accept.await;
        self.port
    }
}

/// `url` with its host and port replaced by `127.0.0.1:port`, and the address it named
/// (`default_port` when it named none).
pub fn through(url: &str, port: u16, default_port: u16) -> (String, SocketAddr) {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (user, host) = match authority.rsplit_once('@') {
        Some((user, host)) => (format!("{user}@"), host),
        None => (String::new(), authority),
    };
    let host = if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:{default_port}")
    };
    let target = std::net::ToSocketAddrs::to_socket_addrs(&host)
        .unwrap()
        .next()
        .unwrap();
    (format!("{scheme}://{user}127.0.0.1:{port}/{path}"), target)
}
