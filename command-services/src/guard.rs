//! What protects the routes anyone may call: the bounded password hashing pool, the limits
//! on sign-in and registration, the client's address they count by, and the key of the
//! request fingerprints that idempotency records keep.

use crate::throttle::{AuthLimits, Throttle};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderName;
use axum::http::request::Parts;
use infra::auth::{Fingerprints, Hashing, HashingLimits};
use infra::config::Settings;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// The guards of one process; cheap to clone.
#[derive(Debug, Clone)]
pub struct Guard {
    /// Argon2id work, bounded.
    pub hashing: Hashing,
    /// Sign-in and registration limits.
    pub throttle: Arc<Throttle>,
    /// The request fingerprint key.
    pub fingerprints: Fingerprints,
    /// The trusted header naming the client's address, if a proxy sets one.
    pub client_ip_header: Option<HeaderName>,
}

impl Default for Guard {
    /// Default limits, a hasher per core, and a random fingerprint key (for tools and tests
    /// whose records need not outlive the process).
    fn default() -> Self {
        Self {
            hashing: Hashing::default(),
            throttle: Arc::new(Throttle::new(AuthLimits::default())),
            fingerprints: Fingerprints::random(),
            client_ip_header: None,
        }
    }
}

impl Guard {
    /// The guards the settings describe, with the fingerprint key of the process.
    pub fn from_settings(settings: &Settings, fingerprints: Fingerprints) -> Self {
        let auth = &settings.auth;
        let load = &settings.load;
        Self {
            hashing: Hashing::new(HashingLimits {
                workers: load.password_hashers,
                queue: load.password_queue,
                wait: load.password_queue_wait,
            }),
            throttle: Arc::new(Throttle::new(AuthLimits {
                per_address_per_minute: auth.per_address_per_minute,
                per_account_per_minute: auth.per_account_per_minute,
                lockout_after: auth.lockout_after,
                lockout_max: auth.lockout_max,
            })),
            fingerprints,
            client_ip_header: auth
                .client_ip_header
                .as_deref()
                .and_then(|h| HeaderName::try_from(h).ok()),
        }
    }
}

/// The client's address: from the trusted proxy header when one is configured and present
/// (the last entry of a list, the one the proxy added), else the TCP peer. `None` when
/// neither is known (a request handed to the router in-process).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub Option<IpAddr>);

impl ClientAddress {
    fn of(parts: &Parts, header: Option<&HeaderName>) -> Option<IpAddr> {
        let forwarded = header
            .and_then(|h| parts.headers.get_all(h).iter().next_back())
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|last| last.trim().parse().ok());
        if forwarded.is_some() {
            return forwarded;
        }
        // Without the header, the peer (the proxy itself, if there is one) is counted, so
        // such requests share one limit rather than escape it.
        parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| peer.ip())
    }
}

impl FromRequestParts<crate::AppState> for ClientAddress {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &crate::AppState,
    ) -> Result<Self, Infallible> {
        Ok(ClientAddress(Self::of(
            parts,
            state.guard.client_ip_header.as_ref(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(headers: &[(&str, &str)], peer: Option<&str>) -> Parts {
        let mut request = Request::builder().uri("/");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let (mut parts, ()) = request.body(()).unwrap().into_parts();
        if let Some(peer) = peer {
            parts
                .extensions
                .insert(ConnectInfo::<SocketAddr>(peer.parse().unwrap()));
        }
        parts
    }

    #[test]
    fn the_peer_counts_unless_a_trusted_header_is_configured() {
        let forwarded = [("x-forwarded-for", "1.1.1.1, 2.2.2.2")];
        let peer = Some("10.0.0.9:5000");
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        assert_eq!(
            ClientAddress::of(&parts(&forwarded, peer), None),
            ip("10.0.0.9")
        );
        let xff = HeaderName::from_static("x-forwarded-for");
        assert_eq!(
            ClientAddress::of(&parts(&forwarded, peer), Some(&xff)),
            ip("2.2.2.2"),
            "the entry the proxy added, not the one the client wrote"
        );
        assert_eq!(
            ClientAddress::of(&parts(&[], peer), Some(&xff)),
            ip("10.0.0.9")
        );
        let junk = [("x-forwarded-for", "not an address")];
        assert_eq!(
            ClientAddress::of(&parts(&junk, peer), Some(&xff)),
            ip("10.0.0.9")
        );
        assert_eq!(ClientAddress::of(&parts(&[], None), None), None);
    }
}
