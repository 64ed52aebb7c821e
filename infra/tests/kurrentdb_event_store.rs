//! The KurrentDB event store: the conformance suite against the server named by
//! `ECOMMERCE_TEST_KURRENTDB_URL` (such as `esdb://127.0.0.1:2113?tls=false`), each test in a
//! namespace of its own (`namespace=` in the connection string). Unset, every test prints a
//! notice and passes without running. No KurrentDB server runs on the project's machines:
//! see the README for running it against a local one.

// A failed step aborts the run with its message; that is what unwrap is for here.
#![allow(clippy::unwrap_used)]

mod conformance;

use async_trait::async_trait;
use conformance::Harness;
use domain::schema::Upcasters;
use infra::KurrentDbEventStore;
use infra::event_store::stored::StoredEvent;
use infra::event_store::{EventStore, Position};
use std::sync::Arc;

struct Kurrent {
    url: String,
    store: Arc<KurrentDbEventStore>,
    namespace: String,
}

async fn fresh() -> Option<Kurrent> {
    let Ok(server) = std::env::var("ECOMMERCE_TEST_KURRENTDB_URL") else {
        eprintln!(
            "skipped: set ECOMMERCE_TEST_KURRENTDB_URL=esdb://HOST:2113?tls=false to run the \
             KurrentDB event store suite"
        );
        return None;
    };
    let namespace = format!("t{}", uuid::Uuid::now_v7().simple());
    let separator = if server.contains('?') { '&' } else { '?' };
    let url = format!("{server}{separator}namespace={namespace}");
    let store = KurrentDbEventStore::connect(&url, Upcasters::domain())
        .await
        .unwrap();
    Some(Kurrent {
        url,
        store: Arc::new(store),
        namespace,
    })
}

#[async_trait]
impl Harness for Kurrent {
    fn store(&self) -> Arc<dyn EventStore> {
        self.store.clone()
    }

    fn dense_positions(&self) -> bool {
        false
    }

    fn keeps_snapshots(&self) -> bool {
        false
    }

    fn child_store(&self) -> Option<String> {
        Some(self.url.clone())
    }

    async fn tamper_payload(&self, _position: Position, _payload: &str) -> bool {
        // KurrentDB never rewrites a stored event; there is nothing to tamper with.
        false
    }

    async fn delete_event(&self, _position: Position) -> bool {
        // A stored event cannot be deleted alone in KurrentDB either.
        false
    }

    async fn insert_raw(&self, e: &StoredEvent) {
        use infra::kurrentdb::convert::CustomMetadata;
        let client = kurrentdb::Client::new(
            infra::kurrentdb::names::Names::from_url(&self.url)
                .0
                .parse()
                .unwrap(),
        )
        .unwrap();
        let custom = CustomMetadata {
            metadata: e.metadata.clone(),
            schema_version: e.schema_version,
            recorded_at: e.recorded_at.clone(),
            hash: e.hash.clone(),
            command_id: None,
        };
        // The exact bytes of the fixture (JSON re-serialized would reorder its keys).
        let event =
            kurrentdb::EventData::binary(&e.event_type, e.payload.clone().into_bytes().into())
                .id(e.event_id)
                .metadata_as_json(&custom)
                .unwrap();
        let options = kurrentdb::AppendToStreamOptions::default()
            .stream_state(kurrentdb::StreamState::NoStream);
        client
            .append_to_stream(format!("{}/{}", self.namespace, e.stream), &options, event)
            .await
            .unwrap();
    }
}

conformance_suite!(fresh);
