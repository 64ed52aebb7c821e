//! Email addresses, normalised so that one mailbox has one spelling.

use super::ValueError;
use serde::{Deserialize, Serialize};

/// A normalised (trimmed, lower-case) email address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

const FIELD: &str = "email";

impl Email {
    /// Parses and normalises an address. The checks are structural; whether the mailbox
    /// exists is a question for a confirmation mail, not for a parser.
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            return Err(ValueError::Empty { field: FIELD });
        }
        if email.chars().count() > 254 {
            return Err(ValueError::TooLong {
                field: FIELD,
                max: 254,
            });
        }
        let invalid = |reason| ValueError::Invalid {
            field: FIELD,
            reason,
        };
        if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid("contains whitespace or control characters"));
        }
        let (local, domain) = email.split_once('@').ok_or_else(|| invalid("has no @"))?;
        if local.is_empty() || local.len() > 64 {
            return Err(invalid("the part before @ must have 1 to 64 characters"));
        }
        if domain.contains('@') {
            return Err(invalid("has more than one @"));
        }
        if !domain.contains('.') || domain.split('.').any(str::is_empty) {
            return Err(invalid("the domain must look like example.com"));
        }
        Ok(Self(email))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = ValueError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.0
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_trimmed_and_lower_cased() {
        assert_eq!(
            Email::parse("  Ann.Lee@Example.COM ").unwrap().as_str(),
            "ann.lee@example.com"
        );
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for bad in [
            "",
            "ann",
            "@example.com",
            "ann@",
            "ann@example",
            "ann@@example.com",
            "a b@example.com",
            "ann@example..com",
            "ann@.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} was accepted");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(Email::parse(&long).is_err());
    }
}
