//! Secrets that never print, and the JWT signing secret of the embedded default.

use std::fmt;
use std::io::Write;
use std::path::Path;

/// A secret string: `Debug` and `Display` print `[redacted]`, so it cannot reach a log.
#[derive(Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The shortest signing secret accepted, in bytes (HS256 wants at least its hash size).
pub const MIN_SECRET_BYTES: usize = 32;

/// The file, in the data folder, that keeps a generated signing secret.
pub const SECRET_FILE: &str = "jwt-secret";

/// The signing secret: the configured one, or else the one kept in `data_dir/jwt-secret`,
/// generated with the OS's random source on first use and readable by the owner only.
pub fn jwt_secret(configured: Option<Secret>, data_dir: &Path) -> Result<Secret, String> {
    if let Some(secret) = configured {
        if secret.expose().len() < MIN_SECRET_BYTES {
            return Err(format!(
                "ECOMMERCE_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes"
            ));
        }
        return Ok(secret);
    }
    let path = data_dir.join(SECRET_FILE);
    match std::fs::read_to_string(&path) {
        Ok(kept) if kept.trim().len() >= MIN_SECRET_BYTES => {
            crate::files::tighten(&path)
                .map_err(|e| format!("cannot make {} owner-only: {e}", path.display()))?;
            return Ok(Secret::new(kept.trim()));
        }
        Ok(_) => {
            return Err(format!(
                "{} is too short; delete it to regenerate",
                path.display()
            ));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    }
    crate::files::private_dir(data_dir)
        .map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| format!("no random source: {e}"))?;
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(&path) {
        Ok(mut file) => {
            file.write_all(secret.as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            Ok(Secret::new(secret))
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => jwt_secret(None, data_dir),
        Err(e) => Err(format!("cannot create {}: {e}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_print() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?} {secret}"), "[redacted] [redacted]");
    }

    #[test]
    fn a_short_configured_secret_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(jwt_secret(Some(Secret::new("short")), dir.path()).is_err());
        let long = Secret::new("x".repeat(32));
        assert_eq!(jwt_secret(Some(long.clone()), dir.path()), Ok(long));
    }

    #[test]
    fn a_generated_secret_is_random_kept_and_owner_only() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let first = jwt_secret(None, a.path()).unwrap();
        assert_eq!(jwt_secret(None, a.path()).unwrap(), first);
        assert_ne!(jwt_secret(None, b.path()).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(a.path().join(SECRET_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
            // One kept from a looser time is tightened when it is read.
            let file = a.path().join(SECRET_FILE);
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert_eq!(jwt_secret(None, a.path()).unwrap(), first);
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
