//! One router per read model, each exposing `router()`, and `admin` for projection
//! operations.

pub mod admin;
pub mod carts;
pub mod orders;
pub mod payments;
pub mod products;
pub mod reports;
pub mod users;
