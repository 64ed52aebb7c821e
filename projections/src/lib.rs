//! Projections: the projector runtime and the read models it keeps.
//!
//! - [`runtime`]: the [`Projection`](runtime::Projection) trait, the working set of a batch
//!   with its replay guards, the projector loop (lease, checkpoint, batches, wake-ups), and
//!   the positions shared with the query side;
//! - [`models`]: one module per read model (catalog, inventory, carts, orders, payments,
//!   shipments, users, reporting) with its document types;
//! - [`ops`]: operations: status, blue/green rebuilds, parked events, retries and skips;
//! - [`testkit`]: domain events as recorded events, and in-memory runs for tests.

pub mod models;
pub mod ops;
pub mod runtime;
pub mod testkit;
