//! The PostgreSQL event store (sqlx), for deployments that outgrow one machine.
//!
//! - `config` and `store`: [`PgConfig`] and [`PgEventStore`], the port's implementation;
//! - `schema` and `migrations/`: tables, embedded and applied at start;
//! - `batch`: the SQL of one append transaction, and how positions are handed out, with
//!   `decide` (each append's fate, in memory) and `rows` (the inserts);
//! - `writer`: the group-commit writer task;
//! - `listener`: `LISTEN/NOTIFY` wake-ups from other processes;
//! - `reader` and `errors`: rows and failures as the port's types;
//! - `snapshots`: aggregate states beside their streams.
//!
//! **Never skip.** Global positions are handed out in commit order: each append transaction
//! takes the row lock of the one-row `es_head` counter (`UPDATE es_head SET position =
//! position + n`) as its last step before inserting and committing, and holds it until the
//! commit. The next appender, in this process or any other, gets its positions only after
//! that commit, so the rows visible to any snapshot are always positions `1..=head` with no
//! hole, and a reader of `position > p` never passes over a row that commits later.
//! Positions have no gaps (a rolled-back transaction rolls the counter back too). The price
//! is that commits are serialized; group commit (one transaction per batch of waiting
//! appends, like the SQLite writer) keeps throughput high, and the lock is held only for the
//! inserts and the commit.
//!
//! sqlx 0.9 is used rather than the 0.8 that `postgres-es` 0.5 depends on: sqlx 0.8 cannot
//! share a lock file with rusqlite 0.43 (its optional SQLite driver pins another
//! `libsqlite3-sys`, and Cargo allows one crate linking `sqlite3` per lock file).

mod batch;
mod config;
mod decide;
mod errors;
mod listener;
mod reader;
mod rows;
mod schema;
mod snapshots;
mod store;
mod writer;

pub use config::PgConfig;
pub use store::PgEventStore;
