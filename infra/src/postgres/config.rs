//! [`PgConfig`]: where the server is and how many connections to use.

use std::time::Duration;

/// How to reach the server.
#[derive(Debug, Clone)]
pub struct PgConfig {
    /// `postgres://user[:password]@host[:port]/database[?options]`.
    pub url: String,
    /// Read connections (the writer and the listener hold one more each).
    pub max_connections: u32,
    /// How long to wait for a connection before answering `Unavailable`.
    pub acquire_timeout: Duration,
    /// The most appends one transaction groups.
    pub max_batch: usize,
}

impl PgConfig {
    /// The defaults for a URL: 16 read connections, 5 s timeout, batches of up to 512.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
            max_batch: 512,
        }
    }
}
