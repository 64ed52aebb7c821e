//! The shop end to end over HTTP, on the embedded shop (command API, checkout process,
//! projectors and query API in one process): queries with `X-Min-Position`, checkout
//! from cart to delivery with every failure and compensation, and the audit of orders.

// A failed step aborts the test with its message; that is what unwrap is for here.
#![allow(clippy::unwrap_used)]

mod audit;
mod catalog;
mod checkout;
mod checkout_cancel;
mod helpers;
mod operations;
mod orders;
mod reads;
