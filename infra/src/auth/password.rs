//! Passwords: a plain password exists only between the request and the Argon2id hash.
//!
//! The policy follows NIST SP 800-63B: 8 to 128 characters, any printable character
//! (spaces and Unicode included), no control characters, and not a password that is known to
//! be common: `common-passwords.txt` holds the 8,354 entries of 8 characters or more from the
//! list of 20,000 common passwords Django ships (`CommonPasswordValidator`, BSD-3-Clause,
//! compiled by Royce Williams), compared without case. One character repeated (`aaaaaaaa`,
//! eight spaces) is refused too, as is a password equal to the account's email.

use super::Secret;
use domain::values::ValueError;
use std::collections::HashSet;
use std::sync::OnceLock;

/// A plain password that meets the policy.
pub struct Password(Secret);

fn invalid(reason: &'static str) -> ValueError {
    ValueError::Invalid {
        field: "password",
        reason,
    }
}

/// The common passwords, lower case.
fn common() -> &'static HashSet<&'static str> {
    static COMMON: OnceLock<HashSet<&'static str>> = OnceLock::new();
    COMMON.get_or_init(|| {
        include_str!("common-passwords.txt")
            .lines()
            .filter(|l| !l.is_empty())
            .collect()
    })
}

impl Password {
    /// Shortest accepted, in characters.
    pub const MIN: usize = 8;
    /// Longest accepted, in characters (bounds the hashing work an attacker can ask for).
    pub const MAX: usize = 128;

    /// Checks the policy.
    pub fn parse(plain: &str) -> Result<Self, ValueError> {
        let chars = plain.chars().count();
        if chars < Self::MIN {
            return Err(invalid("must have at least 8 characters"));
        }
        if chars > Self::MAX {
            return Err(ValueError::TooLong {
                field: "password",
                max: Self::MAX,
            });
        }
        if plain.chars().any(char::is_control) {
            return Err(invalid("must not contain control characters"));
        }
        let mut distinct = plain.chars();
        let first = distinct.next();
        if distinct.all(|c| Some(c) == first) {
            return Err(invalid("must not be one character repeated"));
        }
        if common().contains(plain.to_lowercase().as_str()) {
            return Err(invalid(
                "is one of the most common passwords; choose another",
            ));
        }
        Ok(Self(Secret::new(plain)))
    }

    /// Checks the policy for the account with this email: the password must not be the email.
    pub fn parse_for(plain: &str, email: &str) -> Result<Self, ValueError> {
        let password = Self::parse(plain)?;
        let email = email.trim().to_lowercase();
        let local = email.split('@').next().unwrap_or_default();
        let lower = plain.to_lowercase();
        if lower == email || (local.chars().count() >= Self::MIN && lower == local) {
            return Err(invalid("must not be your email"));
        }
        Ok(password)
    }

    /// The plain password, for the hashing pool only.
    pub(super) fn secret(&self) -> &Secret {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(plain: &str) -> String {
        Password::parse(plain)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn the_policy_bounds_length() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse(&"x".repeat(129)).is_err());
        assert!(Password::parse(&"xy".repeat(64)).is_ok());
        assert!(Password::parse("correct horse").is_ok());
        assert!(Password::parse("pässwörd").is_ok());
        assert!(Password::parse("two  spaces inside ").is_ok());
    }

    #[test]
    fn control_characters_and_one_repeated_character_are_refused() {
        assert!(reason(&"\0".repeat(8)).contains("control characters"));
        assert!(reason("correct\nhorse").contains("control characters"));
        assert!(reason("correct\u{7f}horse").contains("control characters"));
        assert!(reason(&" ".repeat(8)).contains("one character repeated"));
        assert!(reason("aaaaaaaaaaaa").contains("one character repeated"));
    }

    #[test]
    fn common_passwords_are_refused_whatever_their_case() {
        for plain in [
            "password",
            "Password1",
            "QWERTYUIOP",
            "iloveyou",
            "123456789",
        ] {
            assert!(reason(plain).contains("most common"), "{plain}");
        }
        assert!(common().len() > 8_000);
        assert!(common().iter().all(|p| p.chars().count() >= Password::MIN));
    }

    #[test]
    fn the_email_is_not_a_password() {
        let email = "ann.lee.shop@example.com";
        assert!(Password::parse_for("Ann.Lee.Shop@example.com", email).is_err());
        assert!(Password::parse_for("ann.lee.shop", email).is_err());
        assert!(Password::parse_for("correct horse battery", email).is_ok());
    }
}
