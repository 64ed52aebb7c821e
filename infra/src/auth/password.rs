//! Passwords: a plain password exists only between the request and the Argon2id hash.

use super::Secret;
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash as Phc;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use domain::values::{PasswordHash, ValueError};

/// A plain password that meets the policy: 8 to 128 characters.
pub struct Password(Secret);

impl Password {
    /// Shortest accepted, in characters.
    pub const MIN: usize = 8;
    /// Longest accepted, in characters (bounds the hashing work an attacker can ask for).
    pub const MAX: usize = 128;

    /// Checks the policy.
    pub fn parse(plain: &str) -> Result<Self, ValueError> {
        let chars = plain.chars().count();
        if chars < Self::MIN {
            return Err(ValueError::Invalid {
                field: "password",
                reason: "must have at least 8 characters",
            });
        }
        if chars > Self::MAX {
            return Err(ValueError::TooLong {
                field: "password",
                max: Self::MAX,
            });
        }
        Ok(Self(Secret::new(plain)))
    }

    /// Hashes with Argon2id (default parameters, random salt). CPU-heavy: call it from a
    /// blocking task.
    pub fn hash(&self) -> Result<PasswordHash, String> {
        let phc = Argon2::default()
            .hash_password(self.0.expose().as_bytes())
            .map_err(|e| e.to_string())?;
        PasswordHash::parse(&phc.to_string()).map_err(|e| e.to_string())
    }
}

/// True when `plain` matches the stored hash. CPU-heavy, like [`Password::hash`].
pub fn verify(plain: &str, stored: &PasswordHash) -> bool {
    match Phc::new(stored.as_str()) {
        Ok(phc) => Argon2::default()
            .verify_password(plain.as_bytes(), &phc)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_bounds_length() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse(&"x".repeat(129)).is_err());
        assert!(Password::parse("correct horse").is_ok());
        assert!(Password::parse("pässwörd").is_ok());
    }

    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let password = Password::parse("correct horse").unwrap();
        let (a, b) = (password.hash().unwrap(), password.hash().unwrap());
        assert!(a.as_str().starts_with("$argon2id$"));
        assert_ne!(a, b, "each hash has its own salt");
        assert!(verify("correct horse", &a));
        assert!(!verify("correct horse!", &a));
    }
}
