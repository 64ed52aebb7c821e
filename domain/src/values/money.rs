//! Money in integer minor units with an ISO 4217 currency; never floating point.

use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

/// Why a money value or a sum of them was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MoneyError {
    /// The currency is not three upper-case ASCII letters.
    #[error("currency must be an ISO 4217 code of three upper-case letters, got {0:?}")]
    InvalidCurrency(String),
    /// Amounts are never negative; refunds and discounts are their own events.
    #[error("amount must not be negative, got {0}")]
    Negative(i64),
    /// Two amounts in different currencies were combined.
    #[error("cannot combine {left} with {right}")]
    CurrencyMismatch {
        /// Currency of the left operand.
        left: Currency,
        /// Currency of the right operand.
        right: Currency,
    },
    /// The result does not fit in 64 bits of minor units.
    #[error("amount overflows")]
    Overflow,
}

/// An ISO 4217 currency code such as `EUR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

impl Currency {
    /// Parses a three-letter upper-case code.
    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        match code.as_bytes() {
            [a, b, c] if [a, b, c].iter().all(|x| x.is_ascii_uppercase()) => Ok(Self([*a, *b, *c])),
            _ => Err(MoneyError::InvalidCurrency(code.to_owned())),
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        // Only ASCII upper-case letters are ever stored, so this cannot fail.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

impl TryFrom<String> for Currency {
    type Error = MoneyError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Currency> for String {
    fn from(value: Currency) -> Self {
        value.as_str().to_owned()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A non-negative amount of minor units (cents) in one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawMoney")]
pub struct Money {
    amount: i64,
    currency: Currency,
}

#[derive(Deserialize)]
struct RawMoney {
    amount: i64,
    currency: Currency,
}

impl TryFrom<RawMoney> for Money {
    type Error = MoneyError;
    fn try_from(raw: RawMoney) -> Result<Self, Self::Error> {
        Money::new(raw.amount, raw.currency)
    }
}

impl Money {
    /// A money value; negative amounts are refused.
    pub fn new(amount: i64, currency: Currency) -> Result<Self, MoneyError> {
        if amount < 0 {
            return Err(MoneyError::Negative(amount));
        }
        Ok(Self { amount, currency })
    }

    /// Zero in the given currency.
    pub fn zero(currency: Currency) -> Self {
        Self {
            amount: 0,
            currency,
        }
    }

    /// Minor units.
    pub fn amount(&self) -> i64 {
        self.amount
    }

    /// The currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// True when the amount is zero.
    pub fn is_zero(&self) -> bool {
        self.amount == 0
    }

    fn same_currency(&self, other: &Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch {
                left: self.currency,
                right: other.currency,
            })
        }
    }

    /// `self + other`, refusing mixed currencies and overflow.
    pub fn checked_add(&self, other: &Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let amount = self
            .amount
            .checked_add(other.amount)
            .ok_or(MoneyError::Overflow)?;
        Money::new(amount, self.currency)
    }

    /// `self - other`, refusing mixed currencies and a negative result.
    pub fn checked_sub(&self, other: &Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let amount = self
            .amount
            .checked_sub(other.amount)
            .ok_or(MoneyError::Overflow)?;
        Money::new(amount, self.currency)
    }

    /// `self × factor`, refusing overflow.
    pub fn checked_mul(&self, factor: u32) -> Result<Money, MoneyError> {
        let amount = self
            .amount
            .checked_mul(i64::from(factor))
            .ok_or(MoneyError::Overflow)?;
        Money::new(amount, self.currency)
    }

    /// The sum of several amounts of one currency; `None` for an empty list.
    pub fn sum<'a>(
        items: impl IntoIterator<Item = &'a Money>,
    ) -> Result<Option<Money>, MoneyError> {
        let mut total: Option<Money> = None;
        for item in items {
            total = Some(match total {
                None => *item,
                Some(t) => t.checked_add(item)?,
            });
        }
        Ok(total)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur(amount: i64) -> Money {
        Money::new(amount, Currency::parse("EUR").unwrap()).unwrap()
    }

    fn usd(amount: i64) -> Money {
        Money::new(amount, Currency::parse("USD").unwrap()).unwrap()
    }

    #[test]
    fn currency_must_be_three_upper_case_letters() {
        assert!(Currency::parse("EUR").is_ok());
        for bad in ["eur", "EU", "EURO", "", "E1R", "ÉUR"] {
            assert_eq!(
                Currency::parse(bad),
                Err(MoneyError::InvalidCurrency(bad.to_owned()))
            );
        }
    }

    #[test]
    fn negative_amounts_are_refused() {
        let eur = Currency::parse("EUR").unwrap();
        assert_eq!(Money::new(-1, eur), Err(MoneyError::Negative(-1)));
    }

    #[test]
    fn adding_mixed_currencies_is_an_error() {
        assert!(matches!(
            eur(1).checked_add(&usd(1)),
            Err(MoneyError::CurrencyMismatch { .. })
        ));
    }

    #[test]
    fn overflow_is_an_error_not_a_wrap() {
        assert_eq!(
            eur(i64::MAX).checked_add(&eur(1)),
            Err(MoneyError::Overflow)
        );
        assert_eq!(eur(i64::MAX).checked_mul(2), Err(MoneyError::Overflow));
    }

    #[test]
    fn subtraction_below_zero_is_an_error() {
        assert_eq!(eur(5).checked_sub(&eur(6)), Err(MoneyError::Negative(-1)));
        assert_eq!(eur(5).checked_sub(&eur(5)), Ok(eur(0)));
    }

    #[test]
    fn sum_and_multiply() {
        assert_eq!(eur(250).checked_mul(3), Ok(eur(750)));
        assert_eq!(Money::sum(&[eur(1), eur(2), eur(3)]), Ok(Some(eur(6))));
        assert_eq!(Money::sum(&[]), Ok(None));
    }

    #[test]
    fn serializes_as_amount_and_currency_and_refuses_bad_json() {
        let json = serde_json::to_value(eur(1999)).unwrap();
        assert_eq!(json, serde_json::json!({"amount": 1999, "currency": "EUR"}));
        let back: Money = serde_json::from_value(json).unwrap();
        assert_eq!(back, eur(1999));
        assert!(serde_json::from_str::<Money>(r#"{"amount": -5, "currency": "EUR"}"#).is_err());
        assert!(serde_json::from_str::<Money>(r#"{"amount": 5, "currency": "eur"}"#).is_err());
        assert!(serde_json::from_str::<Money>(r#"{"amount": 5.5, "currency": "EUR"}"#).is_err());
    }
}
