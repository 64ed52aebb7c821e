//! User roles and password hashes.

use super::ValueError;
use serde::{Deserialize, Serialize};

/// What a user may do. Everyone registers as a customer; admins grant the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Shops: owns carts and orders.
    Customer,
    /// Runs the shop: catalog, stock, users, refunds, shipping.
    Admin,
    /// Reads the full history, changes nothing.
    Auditor,
}

impl Role {
    /// The role's wire name.
    pub const fn as_str(&self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Admin => "admin",
            Role::Auditor => "auditor",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "customer" => Ok(Role::Customer),
            "admin" => Ok(Role::Admin),
            "auditor" => Ok(Role::Auditor),
            _ => Err(ValueError::Invalid {
                field: "role",
                reason: "must be customer, admin or auditor",
            }),
        }
    }
}

/// An Argon2id hash in PHC string form. The domain never sees a plain password: the hash is
/// computed at the edge, and this type refuses anything that is not such a hash.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Accepts a PHC string of the Argon2id algorithm.
    pub fn parse(phc: &str) -> Result<Self, ValueError> {
        if phc.starts_with("$argon2id$") && phc.len() <= 512 {
            Ok(Self(phc.to_owned()))
        } else {
            Err(ValueError::Invalid {
                field: "password_hash",
                reason: "must be an Argon2id PHC string",
            })
        }
    }

    /// The PHC string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

impl TryFrom<String> for PasswordHash {
    type Error = ValueError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<PasswordHash> for String {
    fn from(value: PasswordHash) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_by_name() {
        for role in [Role::Customer, Role::Admin, Role::Auditor] {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn a_plain_password_is_not_a_hash_and_hashes_do_not_print() {
        assert!(PasswordHash::parse("hunter2").is_err());
        let hash = PasswordHash::parse("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA").unwrap();
        assert_eq!(format!("{hash:?}"), "PasswordHash(<redacted>)");
    }
}
