//! Postal addresses for shipping and profiles.

use super::{AddressLine, City, PersonName, PostalCode, ValueError};
use serde::{Deserialize, Serialize};

/// An ISO 3166-1 alpha-2 country code such as `DE`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CountryCode(String);

impl CountryCode {
    /// Parses two ASCII letters and upper-cases them.
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let code = raw.trim();
        if code.len() == 2 && code.chars().all(|c| c.is_ascii_alphabetic()) {
            Ok(Self(code.to_ascii_uppercase()))
        } else {
            Err(ValueError::Invalid {
                field: "country",
                reason: "must be a two-letter ISO 3166 code",
            })
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CountryCode {
    type Error = ValueError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<CountryCode> for String {
    fn from(value: CountryCode) -> Self {
        value.0
    }
}

/// Where a parcel goes; every part already validated.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Address {
    /// The recipient.
    pub name: PersonName,
    /// Street and number.
    pub line1: AddressLine,
    /// Optional second line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<AddressLine>,
    /// City.
    pub city: City,
    /// Postal code.
    pub postal_code: PostalCode,
    /// Country.
    pub country: CountryCode,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_codes_are_two_letters_upper_cased() {
        assert_eq!(CountryCode::parse("de").unwrap().as_str(), "DE");
        assert!(CountryCode::parse("DEU").is_err());
        assert!(CountryCode::parse("D1").is_err());
    }

    #[test]
    fn an_address_with_a_blank_city_does_not_deserialize() {
        let json =
            r#"{"name":"Ann","line1":"Main St 1","city":" ","postal_code":"10115","country":"DE"}"#;
        assert!(serde_json::from_str::<Address>(json).is_err());
        let ok = json.replace(r#""city":" ""#, r#""city":"Berlin""#);
        assert_eq!(
            serde_json::from_str::<Address>(&ok).unwrap().city.as_str(),
            "Berlin"
        );
    }
}
