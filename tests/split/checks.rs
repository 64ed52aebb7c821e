//! What must hold after the run, read from the stores themselves: every acknowledged
//! checkout's order is in the log and reached its final state exactly once, with one capture;
//! and every read model equals a rebuild of it from the log.

use infra::event_store::EventStore;
use infra::postgres::{PgConfig, PgEventStore};
use infra::read_store::ReadStore;
use infra::read_store::mongo::{FieldIndexes, MongoReadStore, MongoSettings};
use projections::models;
use projections::runtime::{Options, Positions, Projector, key, specs};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The stores of the split shop, opened by the test.
pub struct Stores {
    pub events: Arc<dyn EventStore>,
    pub read: Arc<dyn ReadStore>,
    mongo_uri: String,
    field_indexes: FieldIndexes,
}

impl Stores {
    pub async fn open(events_url: &str, read_url: &str, field_only: bool) -> Stores {
        let events = PgEventStore::open(
            PgConfig::new(events_url),
            domain::schema::Upcasters::domain(),
        )
        .await
        .unwrap();
        let field_indexes = if field_only {
            FieldIndexes::FieldOnly
        } else {
            FieldIndexes::WithId
        };
        let settings = MongoSettings {
            database: None,
            field_indexes,
        };
        let read = MongoReadStore::connect_with(read_url, settings)
            .await
            .unwrap();
        Stores {
            events: Arc::new(events),
            read: Arc::new(read),
            mongo_uri: read_url.to_owned(),
            field_indexes,
        }
    }

    /// Counts the events of `types` in `stream`.
    async fn count(&self, stream: &str, event_type: &str) -> usize {
        self.events
            .read_stream(stream, 1)
            .await
            .unwrap()
            .iter()
            .filter(|e| e.event_type == event_type)
            .count()
    }

    /// Each acknowledged checkout: its cart checked out once, its order placed once and paid
    /// once, its payment captured once.
    pub async fn every_order_once(&self, checkouts: &[(String, String)]) {
        for (cart, order) in checkouts {
            assert_eq!(
                self.count(&format!("cart-{cart}"), "CartCheckedOut").await,
                1,
                "{cart}"
            );
            let stream = format!("order-{order}");
            assert_eq!(
                self.count(&stream, "OrderPlaced").await,
                1,
                "{order} placed"
            );
            assert_eq!(self.count(&stream, "OrderPaid").await, 1, "{order} paid");
            let payment = domain::order::payment_of(order.parse().unwrap());
            let payment = format!("payment-{payment}");
            assert_eq!(
                self.count(&payment, "PaymentCaptured").await,
                1,
                "{payment} captured"
            );
        }
    }

    /// Waits until every projection has applied the whole log; panics after 120 s.
    pub async fn caught_up(&self) {
        let head = self.events.head().await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(120);
        for p in models::all() {
            let key = key(p.as_ref());
            while self.read.checkpoint(&key).await.unwrap() < head {
                assert!(Instant::now() < deadline, "{key} never reached {head}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }

    /// Every read model equals a rebuild from position 0 into a fresh database.
    pub async fn read_models_equal_a_rebuild(&self, database: &str) {
        let settings = MongoSettings {
            database: Some(database.to_owned()),
            field_indexes: self.field_indexes,
        };
        let fresh: Arc<dyn ReadStore> = Arc::new(
            MongoReadStore::connect_with(&self.mongo_uri, settings)
                .await
                .unwrap(),
        );
        let head = self.events.head().await.unwrap();
        for p in models::all() {
            let rebuild = Projector::new(
                p.clone(),
                self.events.clone(),
                fresh.clone(),
                Positions::default(),
                "rebuild",
                Options::default(),
            );
            assert_eq!(rebuild.catch_up().await.unwrap(), head);
            for spec in specs(p.as_ref()) {
                self.read.ensure(&spec).await.unwrap();
            }
            let live = projections::testkit::dump(self.read.as_ref(), p.as_ref(), p.version())
                .await
                .unwrap();
            let rebuilt = projections::testkit::dump(fresh.as_ref(), p.as_ref(), p.version())
                .await
                .unwrap();
            assert!(!live.is_empty(), "{} is empty", p.name());
            assert_eq!(live.len(), rebuilt.len(), "{} document count", p.name());
            for (id, doc) in &live {
                assert_eq!(Some(doc), rebuilt.get(id), "{} {id:?} differs", p.name());
            }
        }
    }
}
