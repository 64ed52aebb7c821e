//! The PostgreSQL event store: the conformance suite on a fresh database per test (URL from
//! `ECOMMERCE_TEST_POSTGRES_URL`; unset, every test prints a notice and passes without
//! running, unless `ECOMMERCE_TEST_POSTGRES_REQUIRED=1`, as in `.ci/run`), plus what only a
//! server shows: transactions held open across a reader's polls, wake-ups through
//! `LISTEN/NOTIFY`, `kill -9` of an appending process, and a server restart mid-append.

// A failed step aborts the run with its message; that is what unwrap is for here.
#![allow(clippy::unwrap_used)]

mod conformance;
mod postgres;
mod proxy;

use async_trait::async_trait;
use conformance::Harness;
use infra::event_store::stored::StoredEvent;
use infra::event_store::{EventStore, Position};
use postgres::{Pg, fresh};
use std::sync::Arc;

#[async_trait]
impl Harness for Pg {
    fn store(&self) -> Arc<dyn EventStore> {
        self.store.clone()
    }

    fn dense_positions(&self) -> bool {
        true
    }

    fn keeps_snapshots(&self) -> bool {
        true
    }

    fn child_store(&self) -> Option<String> {
        Some(self.db.url.clone())
    }

    async fn tamper_payload(&self, position: Position, payload: &str) -> bool {
        let changed = sqlx::query("UPDATE events SET payload = $1 WHERE position = $2")
            .bind(payload)
            .bind(position as i64)
            .execute(self.store.pool())
            .await
            .unwrap()
            .rows_affected();
        assert_eq!(changed, 1);
        true
    }

    async fn delete_event(&self, position: Position) -> bool {
        let deleted = sqlx::query("DELETE FROM events WHERE position = $1")
            .bind(position as i64)
            .execute(self.store.pool())
            .await
            .unwrap()
            .rows_affected();
        assert_eq!(deleted, 1);
        true
    }

    async fn insert_raw(&self, e: &StoredEvent) {
        let link = infra::event_store::hash::from_hex(&e.hash)
            .unwrap()
            .to_vec();
        let pool = self.store.pool();
        sqlx::query(
            "INSERT INTO events (position, stream, version, event_id, event_type, schema_version,
                                 payload, metadata, recorded_at, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(e.position as i64)
        .bind(&e.stream)
        .bind(e.version as i64)
        .bind(e.event_id)
        .bind(&e.event_type)
        .bind(e.schema_version as i32)
        .bind(&e.payload)
        .bind(&e.metadata)
        .bind(&e.recorded_at)
        .bind(&link)
        .execute(pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO streams (stream, version, hash) VALUES ($1, $2, $3)
             ON CONFLICT (stream) DO UPDATE SET version = EXCLUDED.version, hash = EXCLUDED.hash",
        )
        .bind(&e.stream)
        .bind(e.version as i64)
        .bind(&link)
        .execute(pool)
        .await
        .unwrap();
        sqlx::query(
            "UPDATE es_head SET position = GREATEST(position, $1),
                                recorded_at = GREATEST(recorded_at, $2)",
        )
        .bind(e.position as i64)
        .bind(&e.recorded_at)
        .execute(pool)
        .await
        .unwrap();
    }
}

conformance_suite!(fresh);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn appends_wait_behind_a_held_transaction_and_the_reader_skips_nothing() {
    let Some(pg) = fresh().await else { return };
    postgres::held_transactions::appends_wait_behind_a_held_transaction_and_the_reader_skips_nothing(&pg).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_commit_by_another_instance_wakes_a_subscriber_through_notify() {
    let Some(pg) = fresh().await else { return };
    postgres::held_transactions::a_commit_by_another_instance_wakes_a_subscriber_through_notify(
        &pg,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_acknowledged_append_survives_kill_9() {
    let Some(pg) = fresh().await else { return };
    postgres::kill_and_restart::every_acknowledged_append_survives_kill_9(&pg).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_restart_mid_append_loses_nothing_and_the_store_reconnects() {
    postgres::kill_and_restart::a_server_restart_mid_append_loses_nothing_and_the_store_reconnects(
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_store_found_down_fails_fast_and_recovers() {
    postgres::outage::a_store_found_down_fails_fast_and_recovers().await;
}

#[tokio::test]
async fn an_unreachable_server_is_unavailable_and_a_bad_url_invalid() {
    use infra::event_store::StoreError;
    let closed = infra::event_store::open(
        Some("postgres://postgres@127.0.0.1:1/x"),
        std::path::Path::new("."),
    )
    .await;
    assert!(
        matches!(closed, Err(StoreError::Unavailable(_))),
        "{:?}",
        closed.err()
    );
    let bad =
        infra::event_store::open(Some("postgres://h:notaport/x"), std::path::Path::new(".")).await;
    assert!(
        matches!(bad, Err(StoreError::Invalid(_))),
        "{:?}",
        bad.err()
    );
}
