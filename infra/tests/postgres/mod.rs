//! Fresh PostgreSQL databases for tests, and the checks only PostgreSQL can run.

pub mod database;
pub mod held_transactions;
pub mod kill_and_restart;
pub mod outage;

pub use database::{Pg, fresh};
