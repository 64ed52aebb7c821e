//! Infrastructure: the adapters behind the domain.
//!
//! - [`event_store`]: the event store port (append with expected versions, global log,
//!   subscriptions, hash chains, idempotent commands) and the cqrs-es glue;
//! - [`sqlite`]: the embedded SQLite event store, the default backend;
//! - [`postgres`]: the PostgreSQL event store;
//! - [`kurrentdb`]: the KurrentDB (EventStoreDB) event store.

pub mod event_store;
pub mod kurrentdb;
pub mod postgres;
pub mod sqlite;

pub use event_store::{EventStore, StoreError};
pub use kurrentdb::KurrentDbEventStore;
pub use postgres::{PgConfig, PgEventStore};
pub use sqlite::{SqliteConfig, SqliteEventStore};
