//! Unique values (a user's email, a product's SKU) in a store without unique indexes: a
//! stream per value, appended to only while it does not exist, so of two concurrent claims
//! exactly one wins. The aggregate id is `kind:value`, such as `email:ann@example.com`.

use crate::Decider;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use uuid::Uuid;

/// A value's claim.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub enum Claim {
    /// Nobody holds it.
    #[default]
    Free,
    /// Held by `owner`.
    Taken {
        /// The value, as claimed.
        value: String,
        /// The id of what holds it (a user, a product).
        owner: Uuid,
    },
}

/// Claim a value for an owner.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimValue {
    /// The value.
    pub value: String,
    /// Who claims it.
    pub owner: Uuid,
}

/// What happened to a claim.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ClaimEvent {
    /// The value now belongs to `owner`.
    ValueClaimed {
        /// The value.
        value: String,
        /// Its owner.
        owner: Uuid,
    },
}

crate::domain_event!(ClaimEvent { ValueClaimed => 1 });

/// Why a claim was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ClaimError {
    /// Someone else holds the value.
    #[error("{value} is already taken")]
    Taken {
        /// The value.
        value: String,
        /// Who holds it.
        owner: Uuid,
    },
}

impl crate::Refusal for ClaimError {
    fn kind(&self) -> crate::RefusalKind {
        crate::RefusalKind::AlreadyExists
    }
}

impl Decider for Claim {
    type Command = ClaimValue;
    type Event = ClaimEvent;
    type Error = ClaimError;

    fn decide(&self, command: ClaimValue) -> Result<Vec<ClaimEvent>, ClaimError> {
        match self {
            Claim::Free => Ok(vec![ClaimEvent::ValueClaimed {
                value: command.value,
                owner: command.owner,
            }]),
            Claim::Taken { owner, .. } if *owner == command.owner => Ok(vec![]),
            Claim::Taken { value, owner } => Err(ClaimError::Taken {
                value: value.clone(),
                owner: *owner,
            }),
        }
    }

    fn evolve(&mut self, event: ClaimEvent) {
        let ClaimEvent::ValueClaimed { value, owner } = event;
        *self = Claim::Taken { value, owner };
    }
}

crate::aggregate!(Claim, "claim", state_version = 1);

#[cfg(test)]
mod tests {
    use super::*;
    use cqrs_es::test::TestFramework;

    fn claim(owner: u128) -> ClaimValue {
        ClaimValue {
            value: "email:ann@example.com".into(),
            owner: Uuid::from_u128(owner),
        }
    }

    fn claimed(owner: u128) -> ClaimEvent {
        ClaimEvent::ValueClaimed {
            value: "email:ann@example.com".into(),
            owner: Uuid::from_u128(owner),
        }
    }

    #[test]
    fn a_free_value_is_claimed() {
        TestFramework::<Claim>::with(())
            .given_no_previous_events()
            .when(claim(1))
            .then_expect_events(vec![claimed(1)]);
    }

    #[test]
    fn the_owner_claiming_again_is_a_no_op() {
        TestFramework::<Claim>::with(())
            .given(vec![claimed(1)])
            .when(claim(1))
            .then_expect_events(vec![]);
    }

    #[test]
    fn another_owner_is_refused() {
        TestFramework::<Claim>::with(())
            .given(vec![claimed(1)])
            .when(claim(2))
            .then_expect_error(ClaimError::Taken {
                value: "email:ann@example.com".into(),
                owner: Uuid::from_u128(1),
            });
    }
}
