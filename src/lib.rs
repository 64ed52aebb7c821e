//! The library half of the `ecommerce` command line: how the services compose into one
//! process ([`embedded`]) and how the configured stores open ([`stores`]). The binary
//! (`src/main.rs`) parses the command line and calls into it; the end-to-end tests use it too.

pub mod embedded;
pub mod stores;
