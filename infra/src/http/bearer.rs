//! The bearer token of a request, verified.

use super::ApiError;
use crate::auth::{Claims, TokenError, Tokens};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

/// The verified claims of `Authorization: Bearer <token>`, or a 401.
pub fn claims(parts: &Parts, tokens: &Tokens) -> Result<Claims, ApiError> {
    let header = parts.headers.get(AUTHORIZATION).ok_or_else(|| {
        ApiError::Unauthorized("sign in: send Authorization: Bearer <token>".into())
    })?;
    let token = header
        .to_str()
        .ok()
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(|| {
            ApiError::Unauthorized("the Authorization header must be Bearer <token>".into())
        })?;
    tokens.verify(token).map_err(|e| match e {
        TokenError::Expired => ApiError::Unauthorized("the token has expired".into()),
        TokenError::Invalid => ApiError::Unauthorized("the token is invalid".into()),
    })
}
