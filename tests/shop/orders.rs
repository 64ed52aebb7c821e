//! Orders with their payment and shipment, lists, and who may read them, on orders the
//! checkout process took to `paid`.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

/// A paid order of the customer `token` for 2 units of `product`; returns (order, payment,
/// shipment).
async fn paid_order(shop: &Shop, token: &str, product: &str) -> (String, String, String) {
    let order = shop.checkout_as(token, &[(product, 2)], "pm_card_ok").await;
    let paid = shop.paid(&format!("/api/orders/{order}"), token).await;
    let id = |field: &str| paid.body[field]["id"].as_str().unwrap().to_owned();
    (order, id("payment"), id("shipment"))
}

#[tokio::test]
async fn an_order_shows_its_progression_payment_and_shipment_to_its_owner() {
    let shop = spawn_shop().await;
    let product = shop.product("MUG", "kitchen", 1000, 10).await;
    let (_, ann) = shop.customer("ann@example.com").await;
    let (order, payment, shipment) = paid_order(&shop, &ann, &product).await;
    let view = shop.get(&format!("/api/orders/{order}"), Some(&ann)).await;
    assert_eq!(view.status, StatusCode::OK, "{}", view.body);
    assert_eq!(
        view.body["total"],
        json!({"amount": 2000, "currency": "EUR"})
    );
    assert_eq!(
        view.body["payment"],
        json!({"id": payment, "status": "captured"})
    );
    assert_eq!(
        view.body["shipment"],
        json!({"id": shipment, "status": "pending"})
    );
    let dispatched = shop
        .post(
            &format!("/api/shipments/{shipment}/dispatch"),
            Some(&shop.admin),
            json!({"carrier": "DHL", "tracking_number": "JD1"}),
        )
        .await;
    let tracked = shop
        .get_at(
            &format!("/api/orders/{order}/shipment"),
            Some(&ann),
            dispatched.position(),
        )
        .await;
    assert_eq!(tracked.body["status"], "dispatched");
    assert_eq!(tracked.body["tracking"][1]["detail"], "DHL JD1");
    let shipment_view = shop
        .get(&format!("/api/shipments/{shipment}"), Some(&ann))
        .await;
    assert_eq!(shipment_view.body["carrier"], "DHL");
    let refunded = shop
        .post(
            &format!("/api/payments/{payment}/refund"),
            Some(&shop.admin),
            json!({"amount": {"amount": 500, "currency": "EUR"}, "reason": "scratch"}),
        )
        .await;
    let payment_view = shop
        .get_at(
            &format!("/api/payments/{payment}"),
            Some(&ann),
            refunded.position(),
        )
        .await;
    assert_eq!(payment_view.body["status"], "partially_refunded");
    assert_eq!(
        payment_view.body["refunded"],
        json!({"amount": 500, "currency": "EUR"})
    );
}

#[tokio::test]
async fn a_customer_never_reads_another_customers_order_payment_or_shipment() {
    let shop = spawn_shop().await;
    let product = shop.product("MUG", "kitchen", 1000, 10).await;
    let (ann_id, ann) = shop.customer("ann@example.com").await;
    let (_, bob) = shop.customer("bob@example.com").await;
    let (order, payment, shipment) = paid_order(&shop, &ann, &product).await;
    for path in [
        format!("/api/orders/{order}"),
        format!("/api/orders/{order}/shipment"),
        format!("/api/payments/{payment}"),
        format!("/api/shipments/{shipment}"),
    ] {
        assert_problem(&shop.get(&path, Some(&bob)).await, StatusCode::FORBIDDEN);
        assert_problem(&shop.get(&path, None).await, StatusCode::UNAUTHORIZED);
        assert_eq!(
            shop.get(&path, Some(&shop.admin)).await.status,
            StatusCode::OK,
            "{path}"
        );
    }
    let bobs = shop.get("/api/orders", Some(&bob)).await;
    assert_eq!(bobs.body["items"], json!([]));
    assert_problem(
        &shop
            .get(&format!("/api/orders?customer={ann_id}"), Some(&bob))
            .await,
        StatusCode::FORBIDDEN,
    );
}

#[tokio::test]
async fn order_lists_filter_by_customer_status_and_day() {
    let shop = spawn_shop().await;
    let product = shop.product("MUG", "kitchen", 1000, 10).await;
    let (_, ann) = shop.customer("ann@example.com").await;
    let (_, bob) = shop.customer("bob@example.com").await;
    let (first, _, _) = paid_order(&shop, &ann, &product).await;
    let (second, _, _) = paid_order(&shop, &ann, &product).await;
    paid_order(&shop, &bob, &product).await;
    shop.post(
        &format!("/api/orders/{second}/cancel"),
        Some(&ann),
        json!({"reason": "no"}),
    )
    .await;
    shop.eventually(
        &format!("/api/orders/{second}"),
        &ann,
        "status",
        "cancelled",
    )
    .await;
    let mine = shop.get("/api/orders", Some(&ann)).await;
    let ids: Vec<_> = mine.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, [second.clone(), first.clone()], "newest first");
    let paid = shop.get("/api/orders?status=paid", Some(&ann)).await;
    assert_eq!(paid.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        shop.get("/api/orders", Some(&shop.admin)).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let today = chrono::Utc::now().date_naive();
    let this_day = shop
        .get(&format!("/api/orders?from={today}&to={today}"), Some(&ann))
        .await;
    assert_eq!(this_day.body["items"].as_array().unwrap().len(), 2);
    let tomorrow = today.succ_opt().unwrap();
    let later = shop
        .get(&format!("/api/orders?from={tomorrow}"), Some(&ann))
        .await;
    assert_eq!(later.body["items"], json!([]));
    let page = shop.get("/api/orders?limit=1", Some(&ann)).await;
    let cursor = page.body["next_cursor"].as_str().unwrap();
    let next = shop
        .get(&format!("/api/orders?limit=1&cursor={cursor}"), Some(&ann))
        .await;
    assert_eq!(next.body["items"][0]["id"], json!(first));
    for q in [
        "status=lost",
        "from=yesterday",
        "from=2026-11-02&to=2026-11-01",
        "limit=500",
    ] {
        assert_problem(
            &shop.get(&format!("/api/orders?{q}"), Some(&ann)).await,
            StatusCode::BAD_REQUEST,
        );
    }
}

#[tokio::test]
async fn the_checkout_answers_a_position_at_which_the_order_reads() {
    let shop = spawn_shop().await;
    let mug = shop.product("MUG", "kitchen", 1000, 10).await;
    let (_, ann) = shop.customer("ann@example.com").await;
    let cart = shop
        .send(reqwest::Method::POST, "/api/carts", Some(&ann), None, &[])
        .await
        .id();
    let item = json!({"product_id": mug, "quantity": 1});
    shop.post(&format!("/api/carts/{cart}/items"), Some(&ann), item)
        .await;
    let address = json!({"name": "Ann", "line1": "Main St 1", "city": "Berlin",
                         "postal_code": "10115", "country": "DE"});
    let checkout = shop
        .post(
            &format!("/api/carts/{cart}/checkout"),
            Some(&ann),
            json!({"shipping_address": address, "payment_method": "pm_card_ok"}),
        )
        .await;
    let order = checkout.body["order_id"].as_str().unwrap();
    let position = checkout.body["position"].as_u64().unwrap();
    assert_eq!(
        checkout.position(),
        position,
        "X-Event-Position says the same"
    );
    // No polling: the answer's position is enough.
    let view = shop
        .get_at(&format!("/api/orders/{order}"), Some(&ann), position)
        .await;
    assert_eq!(view.status, StatusCode::OK, "{}", view.body);
    assert_eq!(view.body["id"], order);
}
