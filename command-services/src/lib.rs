//! The HTTP command API: one axum router per domain, each mapping requests to commands on
//! the aggregates of `domain` through the event store of `infra`.
//!
//! - [`routes`]: `users`, `auth`, `products`, `carts`, `orders`, `payments`, `shipments`,
//!   each with `router()`;
//! - [`app`]: the routers of the chosen domains merged, with their OpenAPI description;
//! - [`server`]: build and run the service, graceful shutdown;
//! - [`executor`]: load, decide, append with the expected version, answer with the position;
//!   [`turns`]: commands to one aggregate run one after another in a process; [`states`]:
//!   the recently used states it decides on, bounded by count and size;
//! - [`context`], [`caller`], [`json`], [`path`]: what a request carries (ids, idempotency
//!   key, caller, body, path) as extractors whose failures are problem details;
//! - [`error`]: [`ApiError`] and its one status mapping; [`dto`]: wire types and answers;
//! - [`checkout`]: the checkout process manager (order, stock, payment, shipping,
//!   compensation, expiry) and the payment provider;
//! - [`claims`]: unique emails and SKUs; [`admin`]: the first admin and role grants;
//!   [`state`]: shared state;
//! - [`guard`]: password hashing, sign-in limits ([`throttle`]), client addresses and request
//!   fingerprints; [`passwords`]: hashing and checking at the edge, retries that set one.

pub mod admin;
pub mod ahead;
pub mod app;
pub mod caller;
pub mod checkout;
pub mod claims;
pub mod context;
pub mod dto;
pub mod error;
pub mod executor;
pub mod guard;
pub mod json;
pub mod passwords;
pub mod path;
pub mod routes;
pub mod server;
pub mod state;
pub mod states;
pub mod throttle;
pub mod turns;

pub use error::ApiError;
pub use server::{App, shutdown_signal};
pub use state::AppState;
