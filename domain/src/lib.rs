//! The shop's domain: six aggregates, their commands and events, and the value types they
//! are made of. Pure: no I/O, no clock, no random ids; time and ids arrive in commands.
//!
//! - [`values`]: money, ids, quantities, emails, addresses, bounded text;
//! - [`aggregate`]: the [`Decider`] shape every aggregate follows and its cqrs-es glue;
//! - one module per aggregate: [`product`] (with inventory), [`user`], [`cart`], [`order`],
//!   [`payment`], [`shipment`];
//! - [`claim`]: unique values (emails, SKUs) as streams claimed once;
//! - [`schema`]: event type names, schema versions and the upcasters for old versions.

pub mod aggregate;
pub mod cart;
pub mod claim;
pub mod order;
pub mod payment;
pub mod product;
pub mod schema;
pub mod shipment;
pub mod user;
pub mod values;

#[cfg(test)]
mod test_support;

pub use aggregate::{Decider, Refusal, RefusalKind, StateVersion};
