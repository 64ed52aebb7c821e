//! The PostgreSQL schema: migrations embedded in the binary and applied at start, under an
//! advisory lock so that several processes starting at once migrate only once.
//!
//! The tables hold the same content as the SQLite store: `events` (one row per event, with
//! its global position, per-stream version, id, type, schema version, payload and metadata
//! text exactly as hashed, commit time and hash-chain link), `streams` (each stream's version
//! and last link), `commands` (idempotency records) and `es_head` (one row: the newest
//! position and commit time, whose row lock orders commits; see `batch`); v2 adds `snapshots`.

use sqlx::{Connection, PgConnection};

/// The migrations, in order: (version, name, SQL). Never edit one that has shipped.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "events, streams, commands, head",
        include_str!("migrations/0001_events.sql"),
    ),
    (
        2,
        "snapshots",
        include_str!("migrations/0002_snapshots.sql"),
    ),
];

/// Any fixed number: the advisory lock that serializes migrations.
const MIGRATION_LOCK: i64 = 0x6563_6f6d_6d65_7263;

/// Applies the migrations this build knows and the database lacks; refuses a database
/// migrated by a newer build.
pub(super) async fn migrate(conn: &mut PgConnection) -> Result<(), String> {
    let fail = |e: sqlx::Error| format!("cannot migrate the event store: {e}");
    let mut tx = conn.begin().await.map_err(fail)?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS es_migrations (
             version    BIGINT PRIMARY KEY,
             name       TEXT NOT NULL,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    )
    .execute(&mut *tx)
    .await
    .map_err(fail)?;
    let applied: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM es_migrations")
        .fetch_one(&mut *tx)
        .await
        .map_err(fail)?;
    let known = MIGRATIONS.last().map_or(0, |m| m.0);
    if applied > known {
        return Err(format!(
            "event store schema v{applied} is newer than this build (v{known})"
        ));
    }
    for (version, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > applied) {
        sqlx::raw_sql(sqlx::AssertSqlSafe(*sql))
            .execute(&mut *tx)
            .await
            .map_err(fail)?;
        sqlx::query("INSERT INTO es_migrations (version, name) VALUES ($1, $2)")
            .bind(version)
            .bind(name)
            .execute(&mut *tx)
            .await
            .map_err(fail)?;
    }
    tx.commit().await.map_err(fail)
}
