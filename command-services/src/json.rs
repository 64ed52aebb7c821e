//! The JSON body extractor: malformed JSON is a 400, wrong types or missing fields a 422
//! naming the field, an oversize body a 413, another media type a 415; all as problem
//! details. It also keeps a digest of the body for `Idempotency-Key` checks, taken without
//! its secret fields (any member named `password`), so nothing derived from a password but
//! its Argon2id hash ever reaches the log.

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The name of the members left out of the body digest.
const SECRET: &str = "password";

/// A JSON body parsed into `T`, with the digest of its non-secret part.
pub struct ApiJson<T> {
    /// The parsed body.
    pub value: T,
    /// SHA-256 of the body (of its canonical form without secret members, if it has any).
    pub digest: [u8; 32],
}

/// The digest of a body that parsed: of its bytes, or, when it may hold a secret, of the
/// JSON with every member named `password` (at any depth) removed.
fn digest(bytes: &[u8]) -> [u8; 32] {
    if !bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()) {
        return Sha256::digest(bytes).into();
    }
    let Ok(mut value) = serde_json::from_slice::<Value>(bytes) else {
        return Sha256::digest(bytes).into();
    };
    strip(&mut value);
    Sha256::digest(value.to_string().as_bytes()).into()
}

fn strip(value: &mut Value) {
    match value {
        Value::Object(members) => {
            members.remove(SECRET);
            members.values_mut().for_each(strip);
        }
        Value::Array(items) => items.iter_mut().for_each(strip),
        _ => {}
    }
}

fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let typed = is_json(content_type);
        if !typed && !content_type.is_empty() {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::TooLarge
                } else {
                    ApiError::Malformed(format!("cannot read the body: {rejection}"))
                }
            })?;
        // A request with neither a body nor a content type reads as `{}`, so a command whose
        // fields are all optional (deliver, cancel) can be sent bare.
        let bytes = match (typed, bytes.is_empty()) {
            (true, _) => bytes,
            (false, true) => Bytes::from_static(b"{}"),
            (false, false) => return Err(ApiError::UnsupportedMediaType),
        };
        Ok(ApiJson {
            value: parse(&bytes)?,
            digest: digest(&bytes),
        })
    }
}

/// Parses a body, telling syntax errors (400) from shape errors (422). The syntax of the
/// whole body is checked first, so trailing garbage is a 400 even after a shape error.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes)
        .map_err(|e| ApiError::Malformed(format!("malformed JSON: {e}")))?;
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => ApiError::field(
                if path == "." { "body".to_owned() } else { path },
                inner.to_string(),
            ),
            _ => ApiError::Malformed(format!("malformed JSON: {inner}")),
        }
    })?;
    deserializer
        .end()
        .map_err(|e| ApiError::Malformed(format!("malformed JSON: {e}")))?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        quantity: u32,
    }

    fn status(result: Result<Body, ApiError>) -> u16 {
        result.map(|_| 200).unwrap_or_else(|e| e.problem().status)
    }

    #[test]
    fn syntax_errors_are_400_and_shape_errors_422_with_the_field() {
        assert_eq!(status(parse(br#"{"name": "a", "quantity": 1}"#)), 200);
        assert_eq!(status(parse(br#"{"name": "a", "quantity": 1"#)), 400);
        assert_eq!(
            status(parse(br#"{"name": "a", "quantity": 1} trailing"#)),
            400
        );
        assert_eq!(status(parse(b"")), 400);
        let problem = parse::<Body>(br#"{"name": "a", "quantity": -1}"#)
            .unwrap_err()
            .problem();
        assert_eq!(problem.status, 422);
        assert_eq!(problem.errors[0].field, "quantity");
        assert_eq!(status(parse(br#"{"name": "a"}"#)), 422);
        assert_eq!(status(parse(br#"[1, 2]"#)), 422);
    }

    #[test]
    fn the_digest_leaves_out_passwords_and_keeps_everything_else() {
        let register = br#"{"email":"a@x.io","password":"hunter2hunter2","name":"A"}"#;
        let other = br#"{"email":"a@x.io","password":"another secret","name":"A"}"#;
        assert_eq!(digest(register), digest(other));
        assert_ne!(
            digest(register),
            digest(br#"{"email":"b@x.io","password":"hunter2hunter2","name":"A"}"#)
        );
        let nested = br#"{"name":"A","password":{"current":"old secret","new":"new secret"}}"#;
        let plain = br#"{"name":"A"}"#;
        assert_eq!(digest(nested), digest(plain));
        // A body without secrets is digested as sent.
        assert_eq!(digest(plain), <[u8; 32]>::from(Sha256::digest(plain)));
    }

    #[test]
    fn json_media_types() {
        assert!(is_json("application/json"));
        assert!(is_json("application/json; charset=utf-8"));
        assert!(is_json("application/merge-patch+json"));
        assert!(!is_json("text/plain"));
        assert!(!is_json(""));
    }
}
