//! Argon2id with memory the caller keeps.
//!
//! `Argon2::hash_password` allocates its ~19 MiB of blocks on every call, and glibc kept
//! those blocks after each one: measured here, a process grew by about 19 MiB per hash, to
//! 350 MiB after 20 sequential sign-ins on two threads. Each hashing thread keeps one
//! [`Memory`] instead and hands it to every hash it computes.

use super::Secret;
use argon2::password_hash::phc::{Output, ParamsString, PasswordHash as Phc, Salt};
use argon2::{ARGON2ID_IDENT, Algorithm, Argon2, Block, Params, Version};
use domain::values::PasswordHash;

/// Salt length, bytes (the PHC recommendation).
const SALT_LEN: usize = 16;
/// Hash output length, bytes.
const OUTPUT_LEN: usize = 32;

/// Argon2 working memory, reused from hash to hash; allocated by the first hash, so an idle
/// thread holds none.
pub struct Memory(Vec<Block>);

impl Memory {
    /// No memory yet.
    pub fn new() -> Self {
        Self(Vec::new())
    }

    /// The first `blocks` blocks, grown if a stored hash asks for more.
    fn take(&mut self, blocks: usize) -> &mut [Block] {
        if self.0.len() < blocks {
            self.0.resize(blocks, Block::default());
        }
        &mut self.0[..blocks]
    }
}

impl Default for Memory {
    fn default() -> Self {
        Self::new()
    }
}

/// Hashes `plain` with Argon2id and the default parameters (m = 19 MiB, t = 2, p = 1),
/// with a random salt. CPU-heavy: hashing threads only.
pub fn hash(plain: &Secret, memory: &mut Memory) -> Result<PasswordHash, String> {
    let params = Params::default();
    let mut salt = [0u8; SALT_LEN];
    getrandom::fill(&mut salt).map_err(|e| format!("no random source: {e}"))?;
    let mut out = [0u8; OUTPUT_LEN];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(
            plain.expose().as_bytes(),
            &salt,
            &mut out,
            memory.take(params.block_count()),
        )
        .map_err(|e| e.to_string())?;
    let phc = Phc {
        algorithm: ARGON2ID_IDENT,
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| e.to_string())?,
        salt: Some(Salt::new(&salt).map_err(|e| e.to_string())?),
        hash: Some(Output::new(&out).map_err(|e| e.to_string())?),
    };
    PasswordHash::parse(&phc.to_string()).map_err(|e| e.to_string())
}

/// True when `plain` matches the stored Argon2id hash (compared in constant time). A hash
/// that does not parse never matches.
pub fn verify(plain: &Secret, stored: &PasswordHash, memory: &mut Memory) -> bool {
    let Ok(phc) = Phc::new(stored.as_str()) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&phc.salt, &phc.hash) else {
        return false;
    };
    let (Ok(params), Some(version)) = (Params::try_from(&phc), phc.version) else {
        return false;
    };
    let Ok(version) = Version::try_from(version) else {
        return false;
    };
    if phc.algorithm != ARGON2ID_IDENT {
        return false;
    }
    let mut out = vec![0u8; expected.len()];
    let blocks = params.block_count();
    let computed = Argon2::new(Algorithm::Argon2id, version, params)
        .hash_password_into_with_memory(
            plain.expose().as_bytes(),
            salt.as_ref(),
            &mut out,
            memory.take(blocks),
        );
    // `Output` compares in constant time.
    computed.is_ok() && Output::new(&out).is_ok_and(|out| &out == expected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::PasswordHasher as _;

    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let mut memory = Memory::new();
        let plain = Secret::new("correct horse");
        let (a, b) = (
            hash(&plain, &mut memory).unwrap(),
            hash(&plain, &mut memory).unwrap(),
        );
        assert!(a.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert_ne!(a, b, "each hash has its own salt");
        assert!(verify(&plain, &a, &mut memory));
        assert!(!verify(&Secret::new("correct horse!"), &a, &mut memory));
    }

    #[test]
    fn hashes_made_by_the_argon2_crate_itself_verify_and_other_algorithms_do_not() {
        let mut memory = Memory::new();
        let made = Argon2::default()
            .hash_password(b"hunter2 hunter2")
            .unwrap()
            .to_string();
        let made = PasswordHash::parse(&made).unwrap();
        assert!(verify(&Secret::new("hunter2 hunter2"), &made, &mut memory));
        assert!(!verify(&Secret::new("hunter2"), &made, &mut memory));
        // Weaker parameters than ours still verify, with the memory they name.
        let small = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(64, 1, 1, None).unwrap(),
        );
        let small =
            PasswordHash::parse(&small.hash_password(b"pw pw pw pw").unwrap().to_string()).unwrap();
        assert!(verify(&Secret::new("pw pw pw pw"), &small, &mut memory));
        let argon2i = Argon2::new(Algorithm::Argon2i, Version::V0x13, Params::default())
            .hash_password(b"pw pw pw pw")
            .unwrap()
            .to_string()
            .replace("$argon2i$", "$argon2id$");
        let forged = PasswordHash::parse(&argon2i).unwrap();
        assert!(!verify(&Secret::new("pw pw pw pw"), &forged, &mut memory));
    }
}
