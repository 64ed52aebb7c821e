//! Request context: the ids the tracing middleware gave the request, the request time, the
//! `Idempotency-Key` and `If-Match` headers, and from them each command's metadata and ids.
//!
//! With an `Idempotency-Key`, command ids and new entity ids are derived from the key (and
//! the caller), so a retry computes the same ids, the store recognises the command, and the
//! client gets the first answer. Without one they are fresh UUID v7s.
//!
//! The first command a keyed request runs gets the same id whatever the route, so the key
//! sent again with another request (another route, another body) finds that first command's
//! record and is refused (422) before anything is appended; later commands of the request
//! are told apart by their step. Each record keeps a keyed fingerprint of the request
//! ([`infra::auth::Fingerprints`]), never a plain hash of it.

use crate::error::ApiError;
use crate::executor::CommandMeta;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::HeaderName;
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use domain::values::UserId;
use infra::auth::Fingerprints;
use infra::event_store::{EventMetadata, Version};
use infra::http::RequestIds;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use uuid::Uuid;

/// `Idempotency-Key`.
pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

/// Namespace of the ids derived from idempotency keys.
const KEY_NAMESPACE: Uuid = Uuid::from_u128(0x6f1c_2b8e_55d4_4c1b_9a0e_3c7d_1e2f_4a5b);

/// What a handler needs to build command metadata.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// When the request arrived.
    pub at: DateTime<Utc>,
    ids: RequestIds,
    key: Option<String>,
    expected: Option<Version>,
    method: String,
    path: String,
    fingerprints: Fingerprints,
    /// How many commands this request has made metadata for.
    commands: Arc<AtomicUsize>,
}

impl FromRequestParts<AppState> for RequestContext {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let ids = parts
            .extensions
            .get::<RequestIds>()
            .copied()
            .unwrap_or(RequestIds {
                request_id: Uuid::now_v7(),
                correlation_id: Uuid::now_v7(),
            });
        let key = match parts.headers.get(IDEMPOTENCY_KEY) {
            None => None,
            Some(value) => {
                let key = value.to_str().ok().map(str::trim).filter(|k| {
                    (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic())
                });
                Some(
                    key.ok_or_else(|| {
                        ApiError::Malformed(
                            "Idempotency-Key must be 1 to 255 visible ASCII characters".into(),
                        )
                    })?
                    .to_owned(),
                )
            }
        };
        let expected = match parts.headers.get(axum::http::header::IF_MATCH) {
            None => None,
            Some(value) => Some(
                value
                    .to_str()
                    .ok()
                    .map(|v| v.trim().trim_start_matches("W/").trim_matches('"'))
                    .and_then(|v| v.parse::<Version>().ok())
                    .ok_or_else(|| {
                        ApiError::Malformed("If-Match must be a version such as \"3\"".into())
                    })?,
            ),
        };
        Ok(Self {
            at: Utc::now(),
            ids,
            key,
            expected,
            method: parts.method.to_string(),
            path: parts.uri.path().to_owned(),
            fingerprints: state.guard.fingerprints.clone(),
            commands: Arc::default(),
        })
    }
}

impl RequestContext {
    fn derived(&self, user: Option<UserId>, purpose: &str) -> Option<Uuid> {
        let key = self.key.as_ref()?;
        let scope = user.map_or_else(|| "anonymous".to_owned(), |u| u.to_string());
        Some(Uuid::new_v5(
            &KEY_NAMESPACE,
            format!("{scope}\n{key}\n{purpose}").as_bytes(),
        ))
    }

    /// A new entity id: derived from the idempotency key when there is one.
    pub fn new_id(&self, user: Option<UserId>, purpose: &str) -> Uuid {
        self.derived(user, &format!("id:{purpose}"))
            .unwrap_or_else(Uuid::now_v7)
    }

    /// Metadata for one command of this request, in the order the request runs them; `step`
    /// tells apart the commands after the first. `body` is the digest of the request body
    /// (see [`crate::json::ApiJson`]).
    pub fn command(&self, user: Option<UserId>, step: &str, body: &[u8; 32]) -> CommandMeta {
        let purpose = match self.commands.fetch_add(1, Ordering::Relaxed) {
            0 => "command".to_owned(),
            _ => format!("command:{step}"),
        };
        let request_hash = self.fingerprints.of(&self.method, &self.path, body);
        CommandMeta {
            metadata: EventMetadata {
                correlation_id: self.ids.correlation_id,
                causation_id: Some(self.ids.request_id),
                user_id: user.map(|u| u.to_string()),
                command_id: Some(self.derived(user, &purpose).unwrap_or_else(Uuid::now_v7)),
                occurred_at: self.at,
                idempotency_key: self.key.clone(),
                request_hash: self.key.as_ref().map(|_| request_hash),
            },
            expected: self.expected,
            keyed: self.key.is_some(),
        }
    }
}

/// The digest of an empty body, for commands without one.
pub fn empty_body() -> [u8; 32] {
    Sha256::digest(b"").into()
}
