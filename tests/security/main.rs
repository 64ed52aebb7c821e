//! The security model end to end: each finding of the attacker's probe as a test, the
//! authorization matrix generated from the OpenAPI document, and a scan of every stored file
//! for secrets. Tests that need the release shape run the real binary (`binary`); the others
//! use the embedded shop in-process (the shop tests' helpers).
//!
//! - [`admin`]: creating the first admin never elevates an existing account;
//! - [`flood`]: a login flood stays within its memory bound (the real binary's RSS);
//! - [`secrets`]: no stored file or log holds a password, a fast hash of one, or a token;
//!   the data folder and its files are the owner's only;
//! - [`limits`]: rate limits and lockouts, the hashing bound, slow clients, positions;
//! - [`requests`]: password policy, token revocation, security headers, idempotency keys;
//! - [`matrix`]: every operation of the OpenAPI document, as every kind of caller.

// A failed step aborts the test with its message; that is what unwrap is for here.
#![allow(clippy::unwrap_used)]

mod admin;
mod binary;
mod flood;
#[path = "../shop/helpers.rs"]
#[allow(dead_code)]
mod helpers;
mod limits;
mod matrix;
mod requests;
mod secrets;
