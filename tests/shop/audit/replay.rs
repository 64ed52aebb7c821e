//! The state route against what the order showed while it happened: through checkout,
//! payment, dispatch and an admin's cancellation, each moment is recorded from
//! `GET /api/orders/{id}` with the order stream's version and the time, then replayed.

use super::audit_ok;
use crate::helpers::*;
use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// What the order showed at one moment, taken while nothing was in flight (the checkout
/// process idle or pausing), so that the time names this moment and no other.
#[derive(Debug)]
struct Moment {
    status: Value,
    version: u64,
    at: DateTime<Utc>,
    payment: Value,
    shipment: Value,
}

/// The order's view with the order stream's version, when no order event landed meanwhile.
async fn observe(shop: &Shop, order: &str) -> Option<(Value, u64, DateTime<Utc>)> {
    let stream = format!("order-{order}");
    let before = shop.events.stream_version(&stream).await.unwrap();
    let at = Utc::now();
    let view = shop
        .get(&format!("/api/orders/{order}"), Some(&shop.admin))
        .await;
    let after = shop.events.stream_version(&stream).await.unwrap();
    (before > 0 && before == after && view.status == StatusCode::OK)
        .then_some((view.body, before, at))
}

fn moment(view: &Value, version: u64, at: DateTime<Utc>) -> Moment {
    Moment {
        status: view["status"].clone(),
        version,
        at,
        payment: view["payment"]["status"].clone(),
        shipment: view["shipment"]["status"].clone(),
    }
}

/// Records the moment now, with the process idle.
async fn settled(shop: &Shop, order: &str, moments: &mut Vec<Moment>) {
    let (view, version, at) = observe(shop, order).await.expect("nothing is in flight");
    moments.push(moment(&view, version, at));
}

#[tokio::test]
async fn the_state_at_each_version_and_time_is_what_the_order_showed_then() {
    // The flaky card fails once, then the process pauses 3 s before asking again: the order
    // rests at stock_reserved with its payment pending long enough to be looked at.
    let shop = spawn_with(|layer| layer.payment_retry_backoff_ms = Some(3000)).await;
    let mug = shop.product("MUG", "kitchen", 1000, 5).await;
    let (ann, order) = shop
        .checkout("ann@example.com", &[(&mug, 2)], "pm_card_flaky")
        .await;
    let path = format!("/api/orders/{order}");
    let mut moments: Vec<Moment> = Vec::new();
    shop.eventually_that(&path, &ann, |v| {
        v["status"] == "stock_reserved" && v["payment"]["status"] == "pending"
    })
    .await;
    settled(&shop, &order, &mut moments).await;

    let view = shop.paid(&path, &ann).await.body;
    settled(&shop, &order, &mut moments).await;
    let paid_version = moments.last().unwrap().version;

    let shipment = view["shipment"]["id"].as_str().unwrap();
    let dispatch = json!({"carrier": "DHL", "tracking_number": "JD1"});
    shop.post(
        &format!("/api/shipments/{shipment}/dispatch"),
        Some(&shop.admin),
        dispatch,
    )
    .await;
    shop.eventually(&path, &ann, "status", "shipped").await;
    settled(&shop, &order, &mut moments).await;

    let cancel = json!({"reason": "lost in transit"});
    shop.post(&format!("{path}/cancel"), Some(&shop.admin), cancel)
        .await;
    shop.eventually_that(&path, &ann, |v| v["payment"]["status"] == "refunded")
        .await;
    settled(&shop, &order, &mut moments).await;
    let cancelled_version = moments.last().unwrap().version;

    let seen: Vec<(&Value, u64)> = moments.iter().map(|m| (&m.status, m.version)).collect();
    let expected = ["stock_reserved", "paid", "shipped", "cancelled"].map(|s| json!(s));
    assert_eq!(seen, expected.iter().zip([2, 4, 5, 6]).collect::<Vec<_>>());
    for m in &moments {
        let then = audit_ok(
            &shop,
            &order,
            &format!("state?version={}", m.version),
            &shop.admin,
        )
        .await;
        assert_eq!(
            (&then["order"]["status"], &then["version"]),
            (&m.status, &json!(m.version)),
            "{m:?}"
        );
        let at = m.at.to_rfc3339_opts(SecondsFormat::Micros, true);
        let then = audit_ok(&shop, &order, &format!("state?at={at}"), &shop.admin).await;
        assert_eq!(then["version"], m.version, "{m:?}: {then}");
        let echoed: DateTime<Utc> = then["at"].as_str().unwrap().parse().unwrap();
        assert_eq!(echoed, at.parse::<DateTime<Utc>>().unwrap(), "{then}");
        let shown = (
            &then["order"]["status"],
            &then["payment"]["status"],
            &then["shipment"]["status"],
        );
        assert_eq!(shown, (&m.status, &m.payment, &m.shipment), "{m:?}");
    }

    // A version is the moment its event was recorded: the order was placed before anything
    // else; the payment was captured before the order was marked paid, the shipment created
    // after; the refund followed the cancellation.
    let placed = audit_ok(&shop, &order, "state?version=1", &shop.admin).await;
    assert_eq!(placed["order"]["status"], "placed");
    assert!(
        placed["payment"].is_null() && placed["order"]["payment_id"].is_null(),
        "{placed}"
    );
    let paid = audit_ok(
        &shop,
        &order,
        &format!("state?version={paid_version}"),
        &shop.admin,
    )
    .await;
    assert_eq!(paid["payment"]["status"], "captured");
    assert!(paid["shipment"].is_null(), "{paid}");
    let cancelled = audit_ok(
        &shop,
        &order,
        &format!("state?version={cancelled_version}"),
        &shop.admin,
    )
    .await;
    assert_eq!(cancelled["payment"]["status"], "captured");
    assert_eq!(cancelled["order"]["closing_reason"], "lost in transit");
    let now = audit_ok(&shop, &order, "state", &shop.admin).await;
    assert_eq!(
        (
            &now["order"]["status"],
            &now["payment"]["status"],
            &now["shipment"]["status"]
        ),
        (
            &json!("cancelled"),
            &json!("refunded"),
            &json!("dispatched")
        )
    );
    assert_eq!(
        now["order"]["total"],
        json!({"amount": 2000, "currency": "EUR"})
    );
    assert_eq!(now["order"]["lines"][0]["product_id"], mug.as_str());
    assert!(now["position"].as_u64().unwrap() > paid["position"].as_u64().unwrap());
}
