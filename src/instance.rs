//! This process's instance name: the owner of the leases its projectors and checkout worker
//! take. It is stable across restarts (by default the host, the mode and the data folder), so
//! a process restarted after `kill -9` takes its own leases back at once instead of waiting
//! for them to expire; and it is unique among running processes: the name is locked in the
//! data folder (`instance-NAME.lock`) for the process's lifetime, and a second process of the
//! same name is refused at start. Replicas on one host with one data folder need distinct
//! `--instance` names.

use anyhow::{Context, Result, bail};
use infra::config::{Settings, valid_instance};
use std::fs::{File, TryLockError};
use std::path::Path;

/// A claimed instance name; the claim ends with the process (or when this is dropped).
#[derive(Debug)]
pub struct Instance {
    /// The name.
    pub name: String,
    _lock: File,
}

/// The host's name (Linux), else `HOSTNAME`, else `localhost`.
fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// A short, stable tag of a folder's full path.
fn folder_tag(dir: &Path) -> String {
    use sha2::{Digest, Sha256};
    let full = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_owned());
    let digest = Sha256::digest(full.to_string_lossy().as_bytes());
    digest[..4].iter().map(|b| format!("{b:02x}")).collect()
}

/// The configured name, or `HOST-MODE-TAG` (the data folder's tag).
pub fn name(settings: &Settings, mode: &str) -> String {
    if let Some(name) = &settings.instance {
        return name.clone();
    }
    let host: String = host()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .take(60)
        .collect();
    let name = format!("{host}-{mode}-{}", folder_tag(&settings.data_dir));
    if valid_instance(&name) {
        name
    } else {
        format!("{mode}-{}", folder_tag(&settings.data_dir))
    }
}

/// Claims this process's instance name, or refuses when another live process holds it.
pub fn claim(settings: &Settings, mode: &str) -> Result<Instance> {
    let name = name(settings, mode);
    infra::files::private_dir(&settings.data_dir)
        .with_context(|| format!("cannot create {}", settings.data_dir.display()))?;
    let path = settings.data_dir.join(format!("instance-{name}.lock"));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let lock = options
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    match lock.try_lock() {
        Ok(()) => Ok(Instance { name, _lock: lock }),
        Err(TryLockError::WouldBlock) => bail!(
            "another process runs as instance {name:?} (it holds {}); give this one its own \
             --instance (ECOMMERCE_INSTANCE)",
            path.display()
        ),
        Err(TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("cannot lock {}", path.display()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use infra::config::Layer;

    fn settings(dir: &Path, instance: Option<&str>) -> Settings {
        Settings::resolve(Layer {
            data_dir: Some(dir.to_owned()),
            instance: instance.map(str::to_owned),
            ..Layer::default()
        })
        .unwrap()
    }

    #[test]
    fn the_default_name_is_stable_per_host_mode_and_folder() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let first = name(&settings(a.path(), None), "projector");
        assert_eq!(first, name(&settings(a.path(), None), "projector"));
        assert_ne!(first, name(&settings(a.path(), None), "checkout"));
        assert_ne!(first, name(&settings(b.path(), None), "projector"));
        assert!(valid_instance(&first), "{first}");
        assert_eq!(name(&settings(a.path(), Some("eu-1")), "projector"), "eu-1");
    }

    #[test]
    fn a_name_is_held_by_one_process_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let held = claim(&settings(dir.path(), Some("p1")), "projector").unwrap();
        let refused = claim(&settings(dir.path(), Some("p1")), "projector").unwrap_err();
        assert!(refused.to_string().contains("another process"), "{refused}");
        assert!(claim(&settings(dir.path(), Some("p2")), "projector").is_ok());
        drop(held);
        assert!(claim(&settings(dir.path(), Some("p1")), "projector").is_ok());
    }
}
