//! The query API end to end: commands over HTTP, then queries with `X-Min-Position`, on the
//! embedded shop (command API, projectors and query API in one process).

// A failed step aborts the test with its message; that is what unwrap is for here.
#![allow(clippy::unwrap_used)]

mod catalog;
mod helpers;
mod orders;
mod reads;
