//! One router per read model, each exposing `router()`, `admin` for projection operations,
//! and the audit routes over the log.

pub mod admin;
pub mod audit;
pub mod carts;
pub mod orders;
pub mod payments;
pub mod products;
pub mod reports;
pub mod users;
