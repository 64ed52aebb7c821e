//! Small builders shared by the aggregates' given/when/then tests.

use crate::values::*;
use uuid::Uuid;

pub fn eur(amount: i64) -> Money {
    Money::new(amount, Currency::parse("EUR").unwrap()).unwrap()
}

pub fn usd(amount: i64) -> Money {
    Money::new(amount, Currency::parse("USD").unwrap()).unwrap()
}

pub fn qty(n: u32) -> Quantity {
    Quantity::new(n).unwrap()
}

pub fn reason(text: &str) -> Reason {
    Reason::parse(text).unwrap()
}

pub fn uuid(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

pub fn order(n: u128) -> OrderId {
    OrderId::from_uuid(uuid(0x0_0de0 + n))
}

pub fn product(n: u128) -> ProductId {
    ProductId::from_uuid(uuid(0x0_9d00 + n))
}

pub fn user(n: u128) -> UserId {
    UserId::from_uuid(uuid(0x0_05e0 + n))
}

pub fn address() -> Address {
    Address {
        name: PersonName::parse("Ann Lee").unwrap(),
        line1: AddressLine::parse("Main Street 1").unwrap(),
        line2: None,
        city: City::parse("Berlin").unwrap(),
        postal_code: PostalCode::parse("10115").unwrap(),
        country: CountryCode::parse("DE").unwrap(),
    }
}

pub fn method(token: &str) -> PaymentMethod {
    PaymentMethod::parse(token).unwrap()
}
