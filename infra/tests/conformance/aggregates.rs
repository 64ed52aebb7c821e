//! Aggregates on the store: a stored v1 event upcast on read, and cqrs-es' framework and
//! `AggregateStore` committing, loading and conflicting.

use super::Harness;
use cqrs_es::{AggregateError, CqrsFramework, EventStore as _};
use domain::product::{Product, ProductCommand, ProductEvent};
use domain::values::*;
use infra::event_store::stored::StoredEvent;
use infra::event_store::{AggregateStore, hash};
use uuid::Uuid;

pub async fn a_stored_v1_event_upcasts_and_replays_like_v2(h: &impl Harness) {
    #[derive(serde::Deserialize)]
    struct Fixture {
        stream: String,
        event_id: Uuid,
        event_type: String,
        schema_version: u32,
        payload: String,
        metadata: String,
        recorded_at: String,
    }
    let fixture: Fixture =
        serde_json::from_str(include_str!("../fixtures/product_created_v1.json")).unwrap();
    let mut stored = StoredEvent {
        position: 1,
        stream: fixture.stream.clone(),
        version: 1,
        event_id: fixture.event_id,
        event_type: fixture.event_type,
        schema_version: fixture.schema_version,
        payload: fixture.payload,
        metadata: fixture.metadata,
        recorded_at: fixture.recorded_at,
        hash: String::new(),
    };
    stored.hash = hash::to_hex(&hash::link(&hash::GENESIS, &stored.link_input()));
    h.insert_raw(&stored).await;

    let read = h.store().read_stream(&fixture.stream, 1).await.unwrap();
    assert_eq!(read[0].schema_version, 2);
    assert!(h.store().verify(&fixture.stream).await.unwrap().intact());

    let id = fixture.stream.trim_start_matches("product-");
    let loaded = AggregateStore::<Product>::new(h.store())
        .load_aggregate(id)
        .await
        .unwrap();
    let v2 = ProductEvent::ProductCreated {
        product_id: id.parse().unwrap(),
        sku: Sku::parse("MUG-1").unwrap(),
        name: ProductName::parse("Mug").unwrap(),
        description: Description::parse("A sturdy mug").unwrap(),
        category: Category::parse("kitchen").unwrap(),
        price: Money::new(1299, Currency::parse("EUR").unwrap()).unwrap(),
        initial_stock: 40,
    };
    let mut expected = Product::default();
    cqrs_es::Aggregate::apply(&mut expected, v2);
    assert_eq!(loaded.aggregate, expected);
    assert_eq!(loaded.version, 1);

    // The stored row keeps its v1 bytes: appending after it does not rewrite it.
    let store = AggregateStore::<Product>::new(h.store());
    store
        .execute(id, restock(5), &(), Default::default())
        .await
        .unwrap();
    let again = h.store().read_stream(&fixture.stream, 1).await.unwrap();
    assert_eq!(again[0].hash, stored.hash);
    assert!(h.store().verify(&fixture.stream).await.unwrap().intact());
}

pub async fn cqrs_framework_commits_and_loads_aggregates(h: &impl Harness) {
    let store = AggregateStore::<Product>::new(h.store());
    let cqrs = CqrsFramework::new(store.clone(), vec![], ());
    let id = Uuid::now_v7();
    cqrs.execute(&id.to_string(), create_product(id, 3))
        .await
        .unwrap();
    cqrs.execute(&id.to_string(), restock(7)).await.unwrap();
    let refused = cqrs
        .execute(
            &id.to_string(),
            ProductCommand::AdjustStock {
                delta: -11,
                reason: Reason::parse("typo").unwrap(),
            },
        )
        .await;
    assert!(matches!(refused, Err(AggregateError::UserError(_))));
    let loaded = store.load_aggregate(&id.to_string()).await.unwrap();
    assert_eq!(loaded.version, 2);
    assert_eq!(loaded.aggregate.state().unwrap().on_hand, 10);

    // `execute` answers with the position, and a retried command id with the first answer.
    let command_id = Uuid::now_v7();
    let metadata =
        std::collections::HashMap::from([("command_id".to_owned(), command_id.to_string())]);
    let first = store
        .execute(&id.to_string(), restock(1), &(), metadata.clone())
        .await
        .unwrap();
    assert_eq!(first.version, 3);
    assert_eq!(first.position, Some(h.store().head().await.unwrap()));
    let envelopes = store.load_events(&id.to_string()).await.unwrap();
    assert_eq!(envelopes[2].metadata["command_id"], command_id.to_string());
    assert!(envelopes[2].metadata.contains_key("position"));
    // What a commit answers is what a later load reads.
    assert_eq!(first.events[0].metadata, envelopes[2].metadata);
    assert_eq!(first.events[0].payload, envelopes[2].payload);
    assert_eq!(first.events[0].sequence, envelopes[2].sequence);
}

pub async fn a_stale_aggregate_commit_is_a_conflict(h: &impl Harness) {
    let store = AggregateStore::<Product>::new(h.store());
    let id = Uuid::now_v7().to_string();
    store
        .execute(
            &id,
            create_product(Uuid::now_v7(), 3),
            &(),
            Default::default(),
        )
        .await
        .unwrap();
    let first = store.load_aggregate(&id).await.unwrap();
    let second = store.load_aggregate(&id).await.unwrap();
    let event = |delta| ProductEvent::StockAdjusted {
        delta,
        reason: Reason::parse("count").unwrap(),
        on_hand: (3 + delta) as u32,
    };
    store
        .commit(vec![event(1)], first, Default::default())
        .await
        .unwrap();
    let stale = store
        .commit(vec![event(2)], second, Default::default())
        .await;
    assert!(matches!(stale, Err(AggregateError::AggregateConflict)));
    assert_eq!(store.load_aggregate(&id).await.unwrap().version, 2);
}

fn create_product(id: Uuid, stock: u32) -> ProductCommand {
    ProductCommand::Create {
        product_id: ProductId::from_uuid(id),
        sku: Sku::parse("SKU-1").unwrap(),
        name: ProductName::parse("Thing").unwrap(),
        description: Description::parse("").unwrap(),
        category: Category::parse("things").unwrap(),
        price: Money::new(500, Currency::parse("EUR").unwrap()).unwrap(),
        initial_stock: stock,
    }
}

fn restock(delta: i64) -> ProductCommand {
    ProductCommand::AdjustStock {
        delta,
        reason: Reason::parse("delivery").unwrap(),
    }
}
