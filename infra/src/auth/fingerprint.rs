//! Request fingerprints for the idempotency records: a retried `Idempotency-Key` must carry
//! the same request as the first, so every keyed command stores a fingerprint of its request
//! in the log (`request_hash`).
//!
//! The fingerprint is an HMAC-SHA256 under a server key, never a plain hash: a request body
//! may hold a password, and a plain hash of it would let anyone who reads the log test a
//! guess with one SHA-256, skipping Argon2. The key is derived from the token signing secret
//! (which every process of a shop already shares, and which never enters the log), so split
//! services compute the same fingerprints. Rotating that secret makes a retry that spans the
//! rotation look like another request (422).

use super::Secret;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// What the key is derived for; a new purpose gets a new label.
const LABEL: &[u8] = b"ecommerce/request-fingerprint/v1";

/// Computes request fingerprints under one key.
#[derive(Clone)]
pub struct Fingerprints {
    key: [u8; 32],
}

impl std::fmt::Debug for Fingerprints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Fingerprints([redacted])")
    }
}

fn mac(key: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length; the error type exists for fixed-length MACs only.
    <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable!())
}

impl Fingerprints {
    /// The key derived from the token signing secret.
    pub fn derive(secret: &Secret) -> Self {
        let mut mac = mac(secret.expose().as_bytes());
        mac.update(LABEL);
        Self {
            key: mac.finalize().into_bytes().into(),
        }
    }

    /// A random key, for a process that keeps no records across restarts (tests, tools).
    pub fn random() -> Self {
        let mut key = [0u8; 32];
        // Without an OS random source nothing else here would work either.
        getrandom::fill(&mut key).unwrap_or_else(|e| panic!("no random source: {e}"));
        Self { key }
    }

    /// The fingerprint of a request, in hex: its method, path, and the digest of its body.
    pub fn of(&self, method: &str, path: &str, body_digest: &[u8; 32]) -> String {
        let mut mac = mac(&self.key);
        mac.update(method.as_bytes());
        mac.update(&[0]);
        mac.update(path.as_bytes());
        mac.update(&[0]);
        mac.update(body_digest);
        crate::event_store::hash::to_hex(&mac.finalize().into_bytes().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Digest;

    #[test]
    fn fingerprints_depend_on_the_key_and_on_every_part_of_the_request() {
        let body: [u8; 32] = Sha256::digest(br#"{"password":"hunter2hunter2"}"#).into();
        let a = Fingerprints::derive(&Secret::new("a".repeat(32)));
        let b = Fingerprints::derive(&Secret::new("b".repeat(32)));
        let print = a.of("POST", "/api/users", &body);
        assert_eq!(print, a.of("POST", "/api/users", &body), "deterministic");
        assert_eq!(print.len(), 64);
        assert_ne!(print, b.of("POST", "/api/users", &body));
        assert_ne!(print, a.of("PUT", "/api/users", &body));
        assert_ne!(print, a.of("POST", "/api/user", &body));
        assert_ne!(print, a.of("POST", "/api/users", &[0; 32]));
        // Not the plain hash the log used to keep.
        let mut plain = Sha256::new();
        plain.update(b"POST\0/api/users\0");
        plain.update(body);
        let plain: [u8; 32] = plain.finalize().into();
        assert_ne!(print, crate::event_store::hash::to_hex(&plain));
        assert!(!format!("{a:?}").contains(&hex_key(&a)));
    }

    fn hex_key(f: &Fingerprints) -> String {
        crate::event_store::hash::to_hex(&f.key)
    }
}
