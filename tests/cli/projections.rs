//! `ecommerce projections status|rebuild|retry|skip` against a real data folder.

use super::{ecommerce, refused, stdout};
use domain::product::ProductEvent;
use domain::schema::Upcasters;
use domain::values::*;
use infra::event_store::{AppendRequest, EventMetadata, EventStore, ExpectedVersion, NewEvent};
use infra::{SqliteConfig, SqliteEventStore};
use serde_json::Value;
use std::path::Path;

/// Three products in the log, no read model yet.
async fn seed(data_dir: &Path) {
    let store = SqliteEventStore::open(
        SqliteConfig::new(data_dir.join("events.db")),
        Upcasters::domain(),
    )
    .unwrap();
    for i in 0..3 {
        let id = uuid::Uuid::now_v7();
        let created = ProductEvent::ProductCreated {
            product_id: id.into(),
            sku: Sku::parse(&format!("SKU-{i}")).unwrap(),
            name: ProductName::parse("Mug").unwrap(),
            description: Description::parse("").unwrap(),
            category: Category::parse("kitchen").unwrap(),
            price: Money::new(100, Currency::parse("EUR").unwrap()).unwrap(),
            initial_stock: 5,
        };
        let (event_type, version, payload) = infra::event_store::codec::encode(&created).unwrap();
        store
            .append(AppendRequest {
                stream: format!("product-{id}"),
                expected: ExpectedVersion::NoStream,
                events: vec![NewEvent::new(event_type, version, payload)],
                metadata: EventMetadata::new(chrono::Utc::now()),
            })
            .await
            .unwrap();
    }
}

fn catalog(data_dir: &Path) -> Value {
    let all: Value = serde_json::from_str(&stdout(&ecommerce(
        data_dir,
        &["projections", "status", "--json"],
    )))
    .unwrap();
    assert_eq!(all.as_array().unwrap().len(), 8);
    all.as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "catalog")
        .cloned()
        .unwrap()
}

#[tokio::test]
async fn status_then_a_rebuild_with_progress_then_the_new_version() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path()).await;
    let before = catalog(dir.path());
    assert_eq!(before["version"], 1);
    assert_eq!(before["state"], "stopped", "no server runs");
    assert_eq!(
        (before["position"].clone(), before["head"].clone()),
        (0.into(), 3.into())
    );
    assert_eq!(before["lag_events"], 3);
    let table = stdout(&ecommerce(dir.path(), &["projections", "status"]));
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("catalog") && l.ends_with("stopped")),
        "{table}"
    );

    let rebuilt = ecommerce(dir.path(), &["projections", "rebuild", "catalog"]);
    stdout(&rebuilt);
    let progress = String::from_utf8_lossy(&rebuilt.stderr);
    assert!(
        progress.contains("events/s") && progress.contains("ETA"),
        "{progress}"
    );
    assert!(
        progress.contains("switched from version 1 to 2"),
        "{progress}"
    );
    let after = catalog(dir.path());
    assert_eq!(
        (after["version"].clone(), after["position"].clone()),
        (2.into(), 3.into())
    );

    let unknown = refused(&ecommerce(dir.path(), &["projections", "rebuild", "nope"]));
    assert!(
        unknown.contains("no projection is named \"nope\""),
        "{unknown}"
    );
    let retry = refused(&ecommerce(dir.path(), &["projections", "retry", "catalog"]));
    assert!(retry.contains("catalog is not parked"), "{retry}");
    let skip = ["projections", "skip", "catalog", "2", "--reason", "typo"];
    let skip = refused(&ecommerce(dir.path(), &skip));
    assert!(skip.contains("not parked at position 2"), "{skip}");
}
