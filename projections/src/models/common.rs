//! Document parts shared by read models: money and addresses in their wire shape.

use domain::values::{Address, Money};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Money in integer minor units with its ISO 4217 currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MoneyDoc {
    /// Minor units (cents).
    pub amount: i64,
    /// ISO 4217 code.
    #[schema(example = "EUR")]
    pub currency: String,
}

impl From<Money> for MoneyDoc {
    fn from(money: Money) -> Self {
        Self {
            amount: money.amount(),
            currency: money.currency().as_str().to_owned(),
        }
    }
}

impl MoneyDoc {
    /// Zero in `currency`.
    pub fn zero(currency: &str) -> Self {
        Self {
            amount: 0,
            currency: currency.to_owned(),
        }
    }
}

/// A postal address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AddressDoc {
    /// Recipient.
    pub name: String,
    /// Street and number.
    pub line1: String,
    /// Second line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    /// City.
    pub city: String,
    /// Postal code.
    pub postal_code: String,
    /// ISO 3166-1 alpha-2 code.
    pub country: String,
}

impl From<Address> for AddressDoc {
    fn from(a: Address) -> Self {
        Self {
            name: a.name.into(),
            line1: a.line1.into(),
            line2: a.line2.map(Into::into),
            city: a.city.into(),
            postal_code: a.postal_code.into(),
            country: a.country.into(),
        }
    }
}
