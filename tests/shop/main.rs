//! The shop end to end over HTTP, on the embedded shop (command API, checkout process,
//! projectors and query API in one process): queries with `X-Min-Position`, and checkout
//! from cart to delivery with every failure and compensation.

// A failed step aborts the test with its message; that is what unwrap is for here.
#![allow(clippy::unwrap_used)]

mod catalog;
mod checkout;
mod checkout_cancel;
mod helpers;
mod operations;
mod orders;
mod reads;
