//! Cancelling an order at each stage, with the right compensations, and refunds.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn an_owner_cancels_a_paid_order_the_payment_is_refunded_and_the_stock_released() {
    let shop = spawn_shop().await;
    let mug = shop.product("MUG", "kitchen", 1000, 5).await;
    let (ann, order) = shop
        .checkout("ann@example.com", &[(&mug, 2)], "pm_card_ok")
        .await;
    let path = format!("/api/orders/{order}");
    shop.paid(&path, &ann).await;
    let cancel = shop
        .send(
            Method::POST,
            &format!("{path}/cancel"),
            Some(&ann),
            Some(json!({"reason": "changed my mind"})),
            &[],
        )
        .await;
    assert_eq!(cancel.status, StatusCode::ACCEPTED, "{}", cancel.body);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let view = loop {
        let view = shop.get(&path, Some(&ann)).await;
        if view.body["payment"]["status"] == "refunded"
            && view.body["shipment"]["status"] == "cancelled"
        {
            break view;
        }
        assert!(std::time::Instant::now() < deadline, "{}", view.body);
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(view.body["status"], "cancelled");
    assert_eq!(shop.stock(&mug).await, (5, 0, 5));
    assert_eq!(shop.provider.effective("refund").len(), 1);
    // The compensations name the cancellation as their cause.
    let cancelled = shop
        .events
        .read_stream(&format!("order-{order}"), 1)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.event_type == "OrderCancelled")
        .unwrap();
    let payment = view.body["payment"]["id"].as_str().unwrap();
    let refund = shop
        .events
        .read_stream(&format!("payment-{payment}"), 1)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.event_type == "PaymentRefunded")
        .unwrap();
    assert_eq!(refund.metadata.causation_id, Some(cancelled.event_id));
    assert_eq!(refund.metadata.user_id.as_deref(), Some("system:checkout"));
}

#[tokio::test]
async fn an_order_waiting_for_payment_is_cancelled_by_its_owner_and_charged_nothing() {
    let shop = spawn_with(|layer| {
        layer.payment_retries = Some(10_000);
        layer.payment_retry_backoff_ms = Some(50);
    })
    .await;
    let mug = shop.product("MUG", "kitchen", 1000, 5).await;
    let (ann, order) = shop
        .checkout("ann@example.com", &[(&mug, 3)], "pm_card_unavailable")
        .await;
    let path = format!("/api/orders/{order}");
    shop.eventually(&path, &ann, "status", "stock_reserved")
        .await;
    // The process is still retrying the authorization: read at the head, not settled.
    assert_eq!(shop.stock_now(&mug).await, (5, 3, 2));
    shop.post(
        &format!("{path}/cancel"),
        Some(&ann),
        json!({"reason": "too slow"}),
    )
    .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let view = shop.get(&path, Some(&ann)).await;
        if view.body["status"] == "cancelled" && view.body["payment"]["status"] == "declined" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{}", view.body);
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(shop.stock(&mug).await, (5, 0, 5), "the stock was released");
    assert!(shop.provider.effective("authorize").is_empty());
}

#[tokio::test]
async fn after_shipping_only_an_admin_cancels_and_the_payment_is_refunded() {
    let shop = spawn_shop().await;
    let mug = shop.product("MUG", "kitchen", 1000, 5).await;
    let (ann, order) = shop
        .checkout("ann@example.com", &[(&mug, 1)], "pm_card_ok")
        .await;
    let path = format!("/api/orders/{order}");
    let paid = shop.paid(&path, &ann).await;
    let shipment = paid.body["shipment"]["id"].as_str().unwrap().to_owned();
    shop.post(
        &format!("/api/shipments/{shipment}/dispatch"),
        Some(&shop.admin),
        json!({"carrier": "DHL", "tracking_number": "T1"}),
    )
    .await;
    shop.eventually(&path, &ann, "status", "shipped").await;
    let refused = shop
        .send(
            Method::POST,
            &format!("{path}/cancel"),
            Some(&ann),
            Some(json!({"reason": "late"})),
            &[],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    shop.post(
        &format!("{path}/cancel"),
        Some(&shop.admin),
        json!({"reason": "lost in transit"}),
    )
    .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let view = shop.get(&path, Some(&ann)).await;
        if view.body["payment"]["status"] == "refunded" {
            assert_eq!(view.body["status"], "cancelled");
            assert_eq!(
                view.body["shipment"]["status"], "dispatched",
                "the parcel is on its way"
            );
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{}", view.body);
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        shop.stock(&mug).await,
        (4, 0, 4),
        "shipped goods left with their reservation"
    );
}

#[tokio::test]
async fn refunds_never_exceed_the_captured_amount_and_a_retried_key_refunds_once() {
    let shop = spawn_shop().await;
    let mug = shop.product("MUG", "kitchen", 1000, 5).await;
    let (ann, order) = shop
        .checkout("ann@example.com", &[(&mug, 2)], "pm_card_ok")
        .await;
    let paid = shop.paid(&format!("/api/orders/{order}"), &ann).await;
    let payment = paid.body["payment"]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/payments/{payment}/refund");
    let body = json!({"amount": {"amount": 500, "currency": "EUR"}, "reason": "scratched"});
    let key = [("Idempotency-Key", "refund-scratch")];
    let first = shop
        .send(
            Method::POST,
            &path,
            Some(&shop.admin),
            Some(body.clone()),
            &key,
        )
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let head = shop.events.head().await.unwrap();
    let again = shop
        .send(Method::POST, &path, Some(&shop.admin), Some(body), &key)
        .await;
    assert_eq!(
        (again.status, again.body.clone()),
        (StatusCode::OK, first.body.clone())
    );
    assert_eq!(shop.events.head().await.unwrap(), head);
    let too_much = shop
        .send(
            Method::POST,
            &path,
            Some(&shop.admin),
            Some(json!({"amount": {"amount": 1501, "currency": "EUR"}, "reason": "all"})),
            &[],
        )
        .await;
    assert_eq!(
        too_much.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        too_much.body
    );
    assert_eq!(shop.events.head().await.unwrap(), head);
    assert_eq!(
        shop.provider.effective("refund").len(),
        1,
        "the provider refunded once"
    );
    let rest = shop
        .send(
            Method::POST,
            &path,
            Some(&shop.admin),
            Some(json!({"reason": "returned"})),
            &[],
        )
        .await;
    assert_eq!(rest.status, StatusCode::OK, "{}", rest.body);
    let view = shop
        .get(&format!("/api/payments/{payment}"), Some(&ann))
        .await;
    assert_eq!(
        (
            view.body["status"].clone(),
            view.body["refunded"]["amount"].clone()
        ),
        (json!("refunded"), json!(2000))
    );
}
