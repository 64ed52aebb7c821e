//! Access tokens: HS256-signed JWTs carrying the user id and roles, with an expiry.
//!
//! The token proves who the caller is. Whether the user is still active, and which roles
//! they hold now, is checked on every request by the services, so deactivation and role
//! changes take effect at once. A token also carries the generation of the user's password
//! (`pwv`, the number of password changes when it was issued): a password change moves the
//! generation on, and the services refuse every token of an older one.

use super::Secret;
use domain::values::{Role, UserId};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::time::Duration;

const ISSUER: &str = "ecommerce";

/// What a token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user.
    pub sub: UserId,
    /// Roles when the token was issued.
    pub roles: Vec<Role>,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Expires at (seconds since the epoch).
    pub exp: i64,
    /// Always `ecommerce`.
    pub iss: String,
    /// The password generation the token was issued under (0 before any change; tokens
    /// issued before this claim existed read as 0).
    #[serde(default)]
    pub pwv: u32,
}

/// Why a token was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Expired.
    #[error("the token has expired")]
    Expired,
    /// Malformed, wrongly signed, wrong algorithm or issuer.
    #[error("the token is invalid")]
    Invalid,
}

/// Issues and checks tokens with one secret.
#[derive(Clone)]
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
}

impl Tokens {
    /// Tokens signed with `secret`, valid for `ttl`.
    pub fn new(secret: &Secret, ttl: Duration) -> Result<Self, String> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "sub"]);
        validation.leeway = 5;
        let key = secret.expose().as_bytes();
        Ok(Self {
            encoding: EncodingKey::from_secret(key).map_err(|e| e.to_string())?,
            decoding: DecodingKey::from_secret(key).map_err(|e| e.to_string())?,
            validation,
            ttl,
        })
    }

    /// How long a new token lives.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// A token for `user` at `now` (seconds since the epoch), under the password generation
    /// `pwv`.
    pub fn issue(
        &self,
        user: UserId,
        roles: Vec<Role>,
        pwv: u32,
        now: i64,
    ) -> Result<String, String> {
        let claims = Claims {
            sub: user,
            roles,
            iat: now,
            exp: now.saturating_add(i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX)),
            iss: ISSUER.to_owned(),
            pwv,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| e.to_string())
    }

    /// Checks signature, algorithm, issuer and expiry.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(secret: &str) -> Tokens {
        Tokens::new(&Secret::new(secret.repeat(32)), Duration::from_secs(900)).unwrap()
    }

    fn now() -> i64 {
        chrono::Utc::now().timestamp()
    }

    fn user() -> UserId {
        UserId::from_uuid(uuid::Uuid::from_u128(42))
    }

    #[test]
    fn an_issued_token_verifies_with_its_claims() {
        let t = tokens("a");
        let token = t.issue(user(), vec![Role::Admin], 3, now()).unwrap();
        let claims = t.verify(&token).unwrap();
        assert_eq!(claims.sub, user());
        assert_eq!(claims.roles, vec![Role::Admin]);
        assert_eq!(claims.exp - claims.iat, 900);
        assert_eq!(claims.pwv, 3);
    }

    #[test]
    fn another_secret_or_a_changed_token_is_invalid() {
        let token = tokens("a")
            .issue(user(), vec![Role::Customer], 0, now())
            .unwrap();
        assert_eq!(tokens("b").verify(&token), Err(TokenError::Invalid));
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        // Claim to be an admin without re-signing.
        let forged = Claims {
            sub: user(),
            roles: vec![Role::Admin],
            iat: now(),
            exp: now() + 900,
            iss: ISSUER.into(),
            pwv: 0,
        };
        use base64::Engine as _;
        parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(serde_json::to_vec(&forged).unwrap());
        assert_eq!(
            tokens("a").verify(&parts.join(".")),
            Err(TokenError::Invalid)
        );
        assert_eq!(tokens("a").verify("not.a.token"), Err(TokenError::Invalid));
    }

    #[test]
    fn an_unsigned_token_is_invalid() {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header = b64.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let claims = b64.encode(
            serde_json::to_vec(&serde_json::json!({
                "sub": user(), "roles": ["admin"], "iat": now(), "exp": now() + 900,
                "iss": ISSUER
            }))
            .unwrap(),
        );
        assert_eq!(
            tokens("a").verify(&format!("{header}.{claims}.")),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn an_expired_token_is_refused() {
        let t = tokens("a");
        let token = t.issue(user(), vec![], 0, now() - 3600).unwrap();
        assert_eq!(t.verify(&token), Err(TokenError::Expired));
    }
}
