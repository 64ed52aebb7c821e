//! Choosing a backend from a store URL: `postgres://` or `postgresql://` (PostgreSQL),
//! `kurrentdb://`, `esdb://` and their `+discover` forms (KurrentDB), `sqlite:PATH`, or nothing:
//! the embedded SQLite file `DATA_DIR/events.db`.

use super::{Breaker, EventStore, StoreError};
use crate::kurrentdb::KurrentDbEventStore;
use crate::postgres::{PgConfig, PgEventStore};
use crate::sqlite::{Durability, SqliteConfig, SqliteEventStore};
use domain::schema::Upcasters;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The schemes the KurrentDB client accepts.
const KURRENTDB_SCHEMES: &[&str] = &[
    "kurrentdb",
    "kurrentdb+discover",
    "esdb",
    "esdb+discover",
    "kurrent",
    "kurrent+discover",
    "kdb",
    "kdb+discover",
];

/// Where the events live, parsed from a store URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreTarget {
    /// An SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL URL.
    Postgres(String),
    /// A KurrentDB connection string.
    KurrentDb(String),
}

impl StoreTarget {
    /// Parses a store URL; `None` or a blank one is the SQLite file in `data_dir`. An unknown
    /// scheme is `Invalid`.
    pub fn parse(url: Option<&str>, data_dir: &Path) -> Result<Self, StoreError> {
        let Some(url) = url.map(str::trim).filter(|u| !u.is_empty()) else {
            return Ok(StoreTarget::Sqlite(data_dir.join("events.db")));
        };
        let scheme = url.split_once(':').map(|(s, _)| s.to_ascii_lowercase());
        match scheme.as_deref() {
            Some("postgres" | "postgresql") => Ok(StoreTarget::Postgres(url.to_owned())),
            Some(scheme) if KURRENTDB_SCHEMES.contains(&scheme) => {
                Ok(StoreTarget::KurrentDb(url.to_owned()))
            }
            Some("sqlite") => {
                let path = url["sqlite:".len()..].trim_start_matches("//");
                if path.is_empty() {
                    return Err(StoreError::Invalid("sqlite: needs a file path".into()));
                }
                Ok(StoreTarget::Sqlite(PathBuf::from(path)))
            }
            _ => Err(StoreError::Invalid(format!(
                "unknown event store {url:?}: use postgres://, kurrentdb:// (or esdb://), \
                 sqlite:PATH, or nothing for the embedded SQLite file"
            ))),
        }
    }

    /// Opens the store. With `create` off, a missing SQLite file is an error rather than a
    /// new empty log; `durability` applies to the SQLite file (the servers have their own
    /// settings). An unreachable server is `Unavailable`.
    pub async fn open(
        &self,
        create: bool,
        durability: Durability,
    ) -> Result<Arc<dyn EventStore>, StoreError> {
        let upcasters = Upcasters::domain();
        Ok(match self {
            StoreTarget::Sqlite(path) => {
                let mut config = SqliteConfig::new(path);
                config.create = create;
                config.durability = durability;
                Arc::new(SqliteEventStore::open(config, upcasters)?)
            }
            // A server store fails fast while it is known to be down (see `Breaker`).
            StoreTarget::Postgres(url) => Breaker::wrap(Arc::new(
                PgEventStore::open(PgConfig::new(url.clone()), upcasters).await?,
            )),
            StoreTarget::KurrentDb(url) => Breaker::wrap(Arc::new(
                KurrentDbEventStore::connect(url, upcasters).await?,
            )),
        })
    }
}

/// Opens the store a URL names (`None`: the SQLite file `data_dir/events.db`, created if
/// missing).
pub async fn open(url: Option<&str>, data_dir: &Path) -> Result<Arc<dyn EventStore>, StoreError> {
    StoreTarget::parse(url, data_dir)?
        .open(true, Durability::default())
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_choose_backends_and_nothing_is_the_data_folder() {
        let dir = Path::new("/data");
        let parse = |url| StoreTarget::parse(url, dir).unwrap();
        assert_eq!(parse(None), StoreTarget::Sqlite(dir.join("events.db")));
        assert_eq!(
            parse(Some("  ")),
            StoreTarget::Sqlite(dir.join("events.db"))
        );
        assert_eq!(
            parse(Some("sqlite:///tmp/e.db")),
            StoreTarget::Sqlite("/tmp/e.db".into())
        );
        assert_eq!(
            parse(Some("sqlite:e.db")),
            StoreTarget::Sqlite("e.db".into())
        );
        for url in ["postgres://u@h/db", "postgresql://h/db", "POSTGRES://h/db"] {
            assert_eq!(parse(Some(url)), StoreTarget::Postgres(url.into()));
        }
        for url in [
            "kurrentdb://h:2113",
            "esdb://h:2113?tls=false",
            "esdb+discover://h",
        ] {
            assert_eq!(parse(Some(url)), StoreTarget::KurrentDb(url.into()));
        }
    }

    #[test]
    fn an_unknown_scheme_is_a_clear_error() {
        for url in ["mysql://h/db", "events.db", "sqlite:"] {
            let error = StoreTarget::parse(Some(url), Path::new(".")).unwrap_err();
            assert!(matches!(error, StoreError::Invalid(_)), "{url}");
        }
    }
}
