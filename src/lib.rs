//! The library half of the `ecommerce` command line: the pieces the services are built from
//! ([`parts`]), how they compose into one process ([`embedded`], with the projection gauges
//! of [`metrics_task`]) or run one at a time ([`modes`]), and how the
//! configured stores open ([`stores`]), and this process's lease owner name ([`instance`]).
//! The binary (`src/main.rs`) parses the command line and calls into it; the end-to-end tests
//! use it too.

pub mod embedded;
pub mod instance;
pub mod metrics_task;
pub mod modes;
pub mod parts;
pub mod stores;
