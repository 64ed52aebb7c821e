//! Each read model: given events, then documents. One module per model; the shared
//! fixtures (times, money, ids, a log builder) are here.

// A failed step aborts the test with its message; that is what unwrap is for here.
#![allow(clippy::unwrap_used)]

mod carts;
mod catalog;
mod lifecycles;
mod orders;
mod reporting;
mod users;

use chrono::{DateTime, TimeZone, Utc};
use domain::cart::CartEvent;
use domain::order::{OrderEvent, OrderStatus};
use domain::payment::PaymentEvent;
use domain::product::ProductEvent;
use domain::shipment::ShipmentEvent;
use domain::user::UserEvent;
use domain::values::*;
use infra::event_store::RecordedEvent;
use projections::testkit::{recorded, run};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use uuid::Uuid;

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
}

fn eur(cents: i64) -> Money {
    Money::new(cents, Currency::parse("EUR").unwrap()).unwrap()
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn address() -> Address {
    serde_json::from_value(
        json!({"name": "Ann", "line1": "Main St 1", "city": "Berlin",
        "postal_code": "10115", "country": "DE"}),
    )
    .unwrap()
}

/// A log builder: each event gets the next position.
#[derive(Default)]
struct Log(Vec<RecordedEvent>);

impl Log {
    fn add<E: cqrs_es::DomainEvent>(
        &mut self,
        stream: String,
        event: E,
        when: DateTime<Utc>,
    ) -> &mut Self {
        let position = self.0.len() as u64 + 1;
        self.0.push(recorded(position, &stream, &event, when));
        self
    }
}

fn product_created(n: u128, name: &str, cents: i64, stock: u32) -> ProductEvent {
    ProductEvent::ProductCreated {
        product_id: id(n).into(),
        sku: Sku::parse(&format!("SKU-{n}")).unwrap(),
        name: ProductName::parse(name).unwrap(),
        description: Description::parse("").unwrap(),
        category: Category::parse("kitchen").unwrap(),
        price: eur(cents),
        initial_stock: stock,
    }
}

fn doc(
    docs: &std::collections::HashMap<(&'static str, String), Value>,
    collection: &'static str,
    n: u128,
) -> Value {
    docs.get(&(collection, id(n).to_string()))
        .cloned()
        .unwrap_or(Value::Null)
}
