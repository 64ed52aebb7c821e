//! One router per domain, each exposing `router()`.

pub mod auth;
pub mod carts;
pub mod orders;
pub mod payments;
pub mod products;
pub mod shipments;
pub mod users;
