//! The command API over HTTP: a real server on port 0 with its own data folder per test.

// A failed step aborts the test with its message; that is what unwrap is for here.
#![allow(clippy::unwrap_used)]

mod carts;
mod helpers;
mod orders;
mod products;
mod protocol;
mod users;
