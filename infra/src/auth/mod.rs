//! Auth primitives shared by the HTTP services: secrets that never print, Argon2id password
//! hashing, and signed access tokens.

mod password;
mod secret;
mod token;

pub use password::{Password, verify as verify_password};
pub use secret::{MIN_SECRET_BYTES, SECRET_FILE, Secret, jwt_secret};
pub use token::{Claims, TokenError, Tokens};
