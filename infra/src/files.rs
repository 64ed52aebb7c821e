//! Files of the embedded stores are the owner's only: a folder this process creates for them
//! is `0700`, and each SQLite file is `0600` before SQLite opens it. SQLite gives a
//! database's `-wal` and `-shm` files the mode of the database file, so they follow. A file
//! that exists with a looser mode is tightened; an existing folder is left as it is (it may
//! be shared, such as `/tmp`), with a warning when others may enter it.

use std::io;
use std::path::Path;

/// Creates `dir` (and missing parents) owner-only; warns when an existing one is open to
/// others.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    if dir.as_os_str().is_empty() {
        return Ok(());
    }
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => {
            if open_to_others(&meta) && first_warning(dir) {
                tracing::warn!(
                    dir = %dir.display(),
                    "the data folder can be entered by other users; its files are owner-only, \
                     but consider chmod 700"
                );
            }
            Ok(())
        }
        Ok(_) => Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} is not a folder", dir.display()),
        )),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder.create(dir)
        }
        Err(e) => Err(e),
    }
}

/// Makes sure the SQLite database at `path` exists and is owner-only, with its `-wal` and
/// `-shm` files if they exist already (its folder is made with [`private_dir`]).
pub fn private_file(path: &Path) -> io::Result<()> {
    if let Some(parent) = path.parent() {
        private_dir(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    drop(options.open(path)?);
    tighten(path)?;
    for suffix in ["-wal", "-shm"] {
        let mut beside = path.as_os_str().to_owned();
        beside.push(suffix);
        match tighten(Path::new(&beside)) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            other => other?,
        }
    }
    Ok(())
}

/// Makes an existing file owner-only if it is not.
pub fn tighten(path: &Path) -> io::Result<()> {
    let meta = std::fs::metadata(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    Ok(())
}

/// True the first time a folder is named in this process: the warning is said once.
fn first_warning(dir: &Path) -> bool {
    static WARNED: std::sync::Mutex<Vec<std::path::PathBuf>> = std::sync::Mutex::new(Vec::new());
    let Ok(mut warned) = WARNED.lock() else {
        return false;
    };
    if warned.iter().any(|d| d == dir) {
        return false;
    }
    warned.push(dir.to_owned());
    true
}

#[cfg(unix)]
fn open_to_others(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o077 != 0
}

#[cfg(not(unix))]
fn open_to_others(_: &std::fs::Metadata) -> bool {
    false
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn new_folders_and_files_are_the_owners_only() {
        let root = tempfile::tempdir().unwrap();
        let file = root.path().join("a/b/events.db");
        private_file(&file).unwrap();
        assert_eq!(mode(&root.path().join("a")), 0o700);
        assert_eq!(mode(&root.path().join("a/b")), 0o700);
        assert_eq!(mode(&file), 0o600);
    }

    #[test]
    fn a_looser_file_and_its_wal_are_tightened_and_keep_their_content() {
        let root = tempfile::tempdir().unwrap();
        let file = root.path().join("read.db");
        let wal = root.path().join("read.db-wal");
        for f in [&file, &wal] {
            std::fs::write(f, b"kept").unwrap();
            std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        private_file(&file).unwrap();
        for f in [&file, &wal] {
            assert_eq!(mode(f), 0o600);
            assert_eq!(std::fs::read(f).unwrap(), b"kept");
        }
        assert!(
            !root.path().join("read.db-shm").exists(),
            "nothing is created beside it"
        );
    }
}
