//! Infrastructure: the adapters behind the domain.
//!
//! - [`event_store`]: the event store port (append with expected versions, global log,
//!   subscriptions, hash chains, idempotent commands) and the cqrs-es glue;
//! - [`sqlite`]: the embedded SQLite event store, the default backend;
//! - [`postgres`]: the PostgreSQL event store; [`kurrentdb`]: the KurrentDB (EventStoreDB)
//!   event store;
//! - [`read_store`]: the read store port (documents, queries, checkpoints, leases) and its
//!   SQLite and MongoDB adapters;
//! - [`auth`]: secrets, Argon2id password hashing, signed access tokens;
//! - [`http`]: what the HTTP services share (problem details, tracing, bearer tokens,
//!   OpenAPI and Swagger UI);
//! - [`files`]: owner-only folders and files for the embedded stores; [`outage`]: failing
//!   fast while a store's server is known to be down;
//! - [`config`]: layered settings; [`telemetry`]: logging; [`metrics`]: Prometheus metrics
//!   (the families, the process-wide registry, the metered event store).

pub mod auth;
pub mod config;
pub mod event_store;
pub mod files;
pub mod http;
pub mod kurrentdb;
pub mod metrics;
pub mod outage;
pub mod postgres;
pub mod read_store;
pub mod sqlite;
pub mod telemetry;

pub use event_store::{EventStore, StoreError};
pub use kurrentdb::KurrentDbEventStore;
pub use postgres::{PgConfig, PgEventStore};
pub use sqlite::{SqliteConfig, SqliteEventStore};
