//! Auth primitives shared by the HTTP services: secrets that never print, Argon2id password
//! hashing on a bounded pool, the password policy, signed access tokens, and the keyed
//! fingerprint of requests that the idempotency records keep.

mod argon;
mod fingerprint;
mod hashing;
mod password;
mod secret;
mod token;

pub use fingerprint::Fingerprints;
pub use hashing::{HashError, Hashing, HashingLimits};
pub use password::Password;
pub use secret::{MIN_SECRET_BYTES, SECRET_FILE, Secret, jwt_secret};
pub use token::{Claims, TokenError, Tokens};
