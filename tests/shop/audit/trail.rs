//! The events route: the whole history of an order across its streams, paged in log order,
//! with who caused each event and in which conversation.

use super::{audit_ok, paid_order};
use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeSet;

const DISPATCH_CORRELATION: &str = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";

fn positions(events: &[Value]) -> Vec<u64> {
    events
        .iter()
        .map(|e| e["position"].as_u64().unwrap())
        .collect()
}

fn find<'a>(events: &'a [Value], event_type: &str) -> &'a Value {
    events
        .iter()
        .find(|e| e["event_type"] == event_type)
        .unwrap_or_else(|| panic!("no {event_type} in the trail"))
}

#[tokio::test]
async fn the_events_route_pages_the_order_payment_shipment_and_reservations_in_log_order() {
    let shop = spawn_shop().await;
    let admin_id = shop.get("/api/users/me", Some(&shop.admin)).await.body["id"].clone();
    let mug = shop.product("MUG", "kitchen", 1000, 5).await;
    let (_, order, view) = paid_order(&shop, "ann@example.com", &[(&mug, 2)]).await;
    // Another order reserves the same product: its reservation is not part of this history.
    let (_, other, _) = paid_order(&shop, "bob@example.com", &[(&mug, 1)]).await;
    let (payment, shipment) = (&view["payment"]["id"], &view["shipment"]["id"]);
    let path = format!("/api/shipments/{}/dispatch", shipment.as_str().unwrap());
    let body = json!({"carrier": "DHL", "tracking_number": "JD1"});
    let headers = [("X-Correlation-Id", DISPATCH_CORRELATION)];
    let dispatched = shop
        .send(Method::POST, &path, Some(&shop.admin), Some(body), &headers)
        .await;
    assert!(dispatched.status.is_success(), "{}", dispatched.body);
    shop.eventually(
        &format!("/api/orders/{order}"),
        &shop.admin,
        "status",
        "shipped",
    )
    .await;

    let mut paged = Vec::new();
    let mut route = "events?limit=2".to_owned();
    loop {
        let page = audit_ok(&shop, &order, &route, &shop.admin).await;
        let items = page["items"].as_array().unwrap();
        assert!(!items.is_empty() && items.len() <= 2, "{page}");
        paged.extend(items.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(cursor) => route = format!("events?limit=2&cursor={cursor}"),
            None => break,
        }
        assert!(paged.len() < 100, "the pages never end");
    }
    let seen = positions(&paged);
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "log order, no repeats: {seen:?}"
    );
    let whole = audit_ok(&shop, &order, "events?limit=100", &shop.admin).await;
    assert_eq!(positions(whole["items"].as_array().unwrap()), seen);
    assert!(whole["next_cursor"].is_null());

    let streams: BTreeSet<&str> = paged
        .iter()
        .map(|e| e["stream"].as_str().unwrap())
        .collect();
    let expected = [
        format!("order-{order}"),
        format!("payment-{}", payment.as_str().unwrap()),
        format!("shipment-{}", shipment.as_str().unwrap()),
        format!("product-{mug}"),
    ];
    assert_eq!(streams, expected.iter().map(String::as_str).collect());
    for event_type in [
        "OrderPlaced",
        "StockReserved",
        "OrderStockReserved",
        "PaymentRequested",
        "PaymentCaptured",
        "OrderPaid",
        "ShipmentCreated",
        "ShipmentDispatched",
        "ReservationCommitted",
        "OrderShipped",
    ] {
        find(&paged, event_type);
    }
    for product_event in paged.iter().filter(|e| e["stream"] == expected[3]) {
        assert_eq!(
            product_event["payload"]["order_id"],
            order.as_str(),
            "{product_event}"
        );
    }
    let others = shop.events.read_stream(&expected[3], 1).await.unwrap();
    let theirs = others
        .iter()
        .find(|e| e.payload["order_id"] == other.as_str())
        .unwrap();
    assert!(!seen.contains(&theirs.position));

    // Who, when, as part of what.
    let placed = find(&paged, "OrderPlaced");
    assert_eq!(placed["version"], 1);
    assert_eq!(placed["schema_version"], 1);
    assert_eq!(placed["payload"]["lines"][0]["quantity"], 2);
    assert!(placed["recorded_at"].is_string() && placed["hash"].is_string());
    let meta = &placed["metadata"];
    assert_eq!(meta["user_id"], "system:checkout");
    for field in [
        "correlation_id",
        "causation_id",
        "command_id",
        "occurred_at",
    ] {
        assert!(meta[field].is_string(), "{field}: {meta}");
    }
    // The checkout's steps share its conversation.
    for step in [
        "StockReserved",
        "PaymentCaptured",
        "OrderPaid",
        "ShipmentCreated",
    ] {
        let step = find(&paged, step);
        assert_eq!(
            step["metadata"]["correlation_id"], meta["correlation_id"],
            "{step}"
        );
    }
    let dispatch = find(&paged, "ShipmentDispatched");
    assert_eq!(dispatch["metadata"]["user_id"], admin_id);
    assert_eq!(dispatch["metadata"]["correlation_id"], DISPATCH_CORRELATION);
    assert_eq!(dispatch["payload"]["carrier"], "DHL");
}
