//! Bounded, trimmed text newtypes: names, descriptions, reasons, SKUs.

use super::ValueError;

/// Trims `raw` and checks it against the bounds and the character rule.
fn parse_text(
    field: &'static str,
    raw: &str,
    min: usize,
    max: usize,
    allowed: fn(char) -> bool,
) -> Result<String, ValueError> {
    let text = raw.trim();
    let chars = text.chars().count();
    if chars == 0 && min > 0 {
        return Err(ValueError::Empty { field });
    }
    if chars > max {
        return Err(ValueError::TooLong { field, max });
    }
    if !text.chars().all(allowed) {
        return Err(ValueError::Invalid {
            field,
            reason: "contains characters that are not allowed",
        });
    }
    Ok(text.to_owned())
}

fn printable(c: char) -> bool {
    !c.is_control()
}

fn printable_or_newline(c: char) -> bool {
    c == '\n' || !c.is_control()
}

fn code_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

fn token_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'
}

/// Declares a validated text newtype that (de)serializes as a plain string.
macro_rules! text_type {
    ($(#[$doc:meta])* $name:ident, $field:literal, $min:expr, $max:expr, $allowed:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parses and trims the text.
            pub fn parse(raw: &str) -> Result<Self, ValueError> {
                parse_text($field, raw, $min, $max, $allowed).map(Self)
            }

            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = ValueError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

text_type!(
    /// A stock-keeping unit: letters, digits, `-`, `_` and `.`.
    Sku, "sku", 1, 64, code_char
);
text_type!(
    /// A product's display name.
    ProductName, "name", 1, 200, printable
);
text_type!(
    /// A product's description; may be empty.
    Description, "description", 0, 5000, printable_or_newline
);
text_type!(
    /// A catalog category.
    Category, "category", 1, 100, printable
);
text_type!(
    /// A person's name.
    PersonName, "name", 1, 200, printable
);
text_type!(
    /// Why something was done, for the audit trail.
    Reason, "reason", 1, 500, printable
);
text_type!(
    /// A street line of an address.
    AddressLine, "address line", 1, 200, printable
);
text_type!(
    /// A city.
    City, "city", 1, 100, printable
);
text_type!(
    /// A postal code.
    PostalCode, "postal_code", 1, 20, printable
);
text_type!(
    /// A payment method token such as `pm_card_ok`.
    PaymentMethod, "payment_method", 1, 64, token_char
);
text_type!(
    /// A payment provider's reference for an authorization.
    ProviderReference, "provider_reference", 1, 200, printable
);
text_type!(
    /// A shipping carrier.
    Carrier, "carrier", 1, 100, printable
);
text_type!(
    /// A carrier's tracking number.
    TrackingNumber, "tracking_number", 1, 100, code_char
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed() {
        assert_eq!(ProductName::parse("  Mug  ").unwrap().as_str(), "Mug");
    }

    #[test]
    fn empty_or_blank_is_refused_where_a_value_is_required() {
        assert_eq!(
            ProductName::parse("   "),
            Err(ValueError::Empty { field: "name" })
        );
        assert_eq!(Description::parse("").unwrap().as_str(), "");
    }

    #[test]
    fn too_long_is_refused_counting_characters_not_bytes() {
        assert!(Category::parse(&"é".repeat(100)).is_ok());
        assert_eq!(
            Category::parse(&"é".repeat(101)),
            Err(ValueError::TooLong {
                field: "category",
                max: 100
            })
        );
    }

    #[test]
    fn control_characters_and_odd_sku_characters_are_refused() {
        assert!(PersonName::parse("Ann\u{0}").is_err());
        assert!(Description::parse("line one\nline two").is_ok());
        assert!(Sku::parse("MUG-01.blue_2").is_ok());
        assert!(Sku::parse("MUG 01").is_err());
        assert!(PaymentMethod::parse("pm_card_ok").is_ok());
        assert!(PaymentMethod::parse("PM-CARD").is_err());
    }

    #[test]
    fn deserializing_validates() {
        assert!(serde_json::from_str::<Sku>(r#""A B""#).is_err());
        assert_eq!(
            serde_json::from_str::<Sku>(r#""AB""#).unwrap(),
            Sku::parse("AB").unwrap()
        );
    }
}
