//! The audit of an order, read straight from the event log (never from a read model), as
//! plain async functions over `&dyn EventStore` that the HTTP routes
//! (`routes::audit`) and the `ecommerce audit` command share.
//!
//! - [`streams`]: which streams hold an order's history: its own, its payment's, its
//!   shipment's, and the products it reserved;
//! - [`trail`]: every event of that history in global order, paged;
//! - [`replay`]: the order (with its payment and shipment) as it was at a version or a time,
//!   replayed with the aggregates' own `apply`; [`snapshot`]: those states as answered;
//! - [`verify`]: the hash chains of those streams, recomputed;
//! - [`cursor`]: the opaque page cursors; `error`: [`AuditError`].

pub mod cursor;
mod error;
pub mod replay;
pub mod snapshot;
pub mod streams;
pub mod trail;
pub mod verify;

pub use error::AuditError;
pub use replay::{AsOf, state_as_of};
pub use streams::OrderStreams;
pub use trail::{AuditEvent, EventPage, events, trail};
pub use verify::{Verification, verify};
