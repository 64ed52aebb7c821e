//! Value types: parsed once at the edge, valid everywhere after.

mod address;
mod email;
mod error;
mod ids;
mod line;
mod money;
mod quantity;
mod role;
mod text;

pub use address::{Address, CountryCode};
pub use email::Email;
pub use error::ValueError;
pub use ids::{CartId, OrderId, PaymentId, ProductId, ShipmentId, UserId};
pub use line::OrderLine;
pub use money::{Currency, Money, MoneyError};
pub use quantity::Quantity;
pub use role::{PasswordHash, Role};
pub use text::{
    AddressLine, Carrier, Category, City, Description, PaymentMethod, PersonName, PostalCode,
    ProductName, ProviderReference, Reason, Sku, TrackingNumber,
};
