//! Positive, bounded quantities of a product.

use super::ValueError;
use serde::{Deserialize, Serialize};

/// How many units of a product: at least 1, at most [`Quantity::MAX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Quantity(u32);

impl Quantity {
    /// The largest quantity one line may hold.
    pub const MAX: u32 = 10_000;

    /// Parses a quantity in `1..=MAX`.
    pub fn new(value: u32) -> Result<Self, ValueError> {
        if (1..=Self::MAX).contains(&value) {
            Ok(Self(value))
        } else {
            Err(ValueError::OutOfRange {
                field: "quantity",
                min: 1,
                max: i64::from(Self::MAX),
            })
        }
    }

    /// The number of units.
    pub const fn get(&self) -> u32 {
        self.0
    }
}

impl TryFrom<u32> for Quantity {
    type Error = ValueError;
    fn try_from(value: u32) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<Quantity> for u32 {
    fn from(value: Quantity) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_and_too_many_are_refused() {
        assert!(Quantity::new(0).is_err());
        assert!(Quantity::new(Quantity::MAX + 1).is_err());
        assert_eq!(Quantity::new(3).unwrap().get(), 3);
        assert!(serde_json::from_str::<Quantity>("0").is_err());
    }
}
