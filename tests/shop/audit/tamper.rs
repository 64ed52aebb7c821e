//! Tamper evidence: an event edited in the SQLite file breaks its stream's hash chain, and
//! `verify` names it; an order whose streams were not touched stays intact.

use super::{audit_ok, paid_order};
use crate::helpers::*;
use serde_json::Value;

fn stream_names(verdict: &Value) -> Vec<&str> {
    verdict["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stream"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn verify_names_the_reservation_edited_in_the_file_and_other_orders_stay_intact() {
    let shop = spawn_shop().await;
    let mug = shop.product("MUG", "kitchen", 1000, 5).await;
    let plate = shop.product("PLATE", "kitchen", 800, 5).await;
    let (_, order, view) = paid_order(&shop, "ann@example.com", &[(&mug, 2)]).await;
    let (_, untouched, _) = paid_order(&shop, "bob@example.com", &[(&plate, 1)]).await;

    let before = audit_ok(&shop, &order, "verify", &shop.admin).await;
    assert_eq!(before["intact"], true, "{before}");
    assert!(before["first_broken"].is_null());
    let product = format!("product-{mug}");
    let expected = [
        format!("order-{order}"),
        format!("payment-{}", view["payment"]["id"].as_str().unwrap()),
        format!("shipment-{}", view["shipment"]["id"].as_str().unwrap()),
        product.clone(),
    ];
    assert_eq!(stream_names(&before), expected);
    for stream in before["streams"].as_array().unwrap() {
        assert_eq!(stream["intact"], true, "{stream}");
        assert!(stream["events_checked"].as_u64().unwrap() > 0, "{stream}");
    }

    // Someone with the file changes the quantity the order reserved.
    let reserved = shop
        .events
        .read_stream(&product, 1)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.event_type == "StockReserved" && e.payload["order_id"] == order.as_str())
        .unwrap();
    let file = rusqlite::Connection::open(shop.data_dir().join("events.db")).unwrap();
    file.busy_timeout(std::time::Duration::from_secs(5))
        .unwrap();
    let edited = file
        .execute(
            r#"UPDATE events SET payload = replace(payload, '"quantity":2', '"quantity":1')
               WHERE position = ?1"#,
            [reserved.position],
        )
        .unwrap();
    assert_eq!(edited, 1);
    let payload: String = file
        .query_row(
            "SELECT payload FROM events WHERE position = ?1",
            [reserved.position],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        payload.contains(r#""quantity":1"#),
        "the edit took: {payload}"
    );

    let after = audit_ok(&shop, &order, "verify", &shop.admin).await;
    assert_eq!(after["intact"], false, "{after}");
    let broken = &after["first_broken"];
    assert_eq!(broken["stream"], product.as_str());
    assert_eq!(broken["version"], reserved.version);
    assert_eq!(broken["position"], reserved.position);
    assert_eq!(broken["event_id"], reserved.event_id.to_string());
    for stream in after["streams"].as_array().unwrap() {
        let tampered = stream["stream"] == product.as_str();
        assert_eq!(stream["intact"], !tampered, "{stream}");
    }
    // The trail shows what is stored now; verify is what tells it was changed.
    let trail = audit_ok(&shop, &order, "events?limit=100", &shop.admin).await;
    let shown = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["position"] == reserved.position);
    assert_eq!(shown.unwrap()["payload"]["quantity"], 1);

    let other = audit_ok(&shop, &untouched, "verify", &shop.admin).await;
    assert_eq!(other["intact"], true, "{other}");
    assert!(stream_names(&other).contains(&format!("product-{plate}").as_str()));
}
