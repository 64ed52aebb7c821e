//! The SQLite event store's tables and connection settings.

use rusqlite::Connection;

/// How hard a commit waits for the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `synchronous=FULL`: the WAL is synced at every commit; an acknowledged append survives
    /// power loss.
    #[default]
    Full,
    /// `synchronous=NORMAL`: survives a crash of the process, may lose the last commits on
    /// power loss.
    Normal,
}

impl std::str::FromStr for Durability {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "full" => Ok(Durability::Full),
            "normal" => Ok(Durability::Normal),
            other => Err(format!("durability must be full or normal, not {other:?}")),
        }
    }
}

/// Schema version kept in `PRAGMA user_version`.
const SCHEMA_VERSION: i64 = 2;

const SCHEMA_V1: &str = "
CREATE TABLE IF NOT EXISTS events (
    position       INTEGER PRIMARY KEY,
    stream         TEXT    NOT NULL,
    version        INTEGER NOT NULL,
    event_id       BLOB    NOT NULL UNIQUE,
    event_type     TEXT    NOT NULL,
    schema_version INTEGER NOT NULL,
    payload        TEXT    NOT NULL,
    metadata       TEXT    NOT NULL,
    recorded_at    TEXT    NOT NULL,
    hash           BLOB    NOT NULL,
    UNIQUE (stream, version)
) STRICT;
CREATE TABLE IF NOT EXISTS streams (
    stream  TEXT    PRIMARY KEY,
    version INTEGER NOT NULL,
    hash    BLOB    NOT NULL
) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS commands (
    command_id     TEXT    PRIMARY KEY,
    stream         TEXT    NOT NULL,
    first_version  INTEGER NOT NULL,
    last_version   INTEGER NOT NULL,
    first_position INTEGER NOT NULL,
    last_position  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
";

/// v2: the latest snapshot of each stream, bound to the link of the event it was taken at.
const SCHEMA_V2: &str = "
CREATE TABLE IF NOT EXISTS snapshots (
    stream        TEXT    PRIMARY KEY,
    version       INTEGER NOT NULL,
    position      INTEGER NOT NULL,
    hash          BLOB    NOT NULL,
    state_version INTEGER NOT NULL,
    state         TEXT    NOT NULL,
    taken_at      TEXT    NOT NULL
) STRICT, WITHOUT ROWID;
";

/// Settings every connection gets.
pub fn configure(conn: &Connection, durability: Durability) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    let sync = match durability {
        Durability::Full => "FULL",
        Durability::Normal => "NORMAL",
    };
    conn.pragma_update(None, "synchronous", sync)?;
    Ok(())
}

/// Creates the tables on a new file; refuses a file written by a newer schema.
pub fn migrate(conn: &mut Connection) -> Result<(), String> {
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(|e| e.to_string())?;
    if version > SCHEMA_VERSION {
        return Err(format!(
            "event store schema v{version} is newer than this build (v{SCHEMA_VERSION})"
        ));
    }
    if version < SCHEMA_VERSION {
        let tx = conn.transaction().map_err(|e| e.to_string())?;
        for (from, sql) in [(1, SCHEMA_V1), (2, SCHEMA_V2)] {
            if version < from {
                tx.execute_batch(sql).map_err(|e| e.to_string())?;
            }
        }
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(|e| e.to_string())?;
        tx.commit().map_err(|e| e.to_string())?;
    }
    Ok(())
}
