//! Checkout from cart to delivery, and every way it can fail.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

fn statuses(order: &Answer) -> Vec<String> {
    order.body["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_checkout_goes_through_payment_and_shipping_to_delivery() {
    let shop = spawn_shop().await;
    let mug = shop.product("MUG", "kitchen", 1299, 5).await;
    let (ann, order) = shop
        .checkout("ann@example.com", &[(&mug, 2)], "pm_card_ok")
        .await;
    let path = format!("/api/orders/{order}");
    let paid = shop.paid(&path, &ann).await;
    assert_eq!(
        paid.body["total"],
        json!({"amount": 2598, "currency": "EUR"})
    );
    assert_eq!(paid.body["payment"]["status"], "captured");
    assert_eq!(paid.body["shipment"]["status"], "pending");
    assert_eq!(shop.stock(&mug).await, (5, 2, 3));
    let shipment = paid.body["shipment"]["id"].as_str().unwrap().to_owned();
    shop.post(
        &format!("/api/shipments/{shipment}/dispatch"),
        Some(&shop.admin),
        json!({"carrier": "DHL", "tracking_number": "JD1"}),
    )
    .await;
    shop.eventually(&path, &ann, "status", "shipped").await;
    assert_eq!(
        shop.stock(&mug).await,
        (3, 0, 3),
        "the reservation is committed when shipped"
    );
    shop.post(
        &format!("/api/shipments/{shipment}/deliver"),
        Some(&shop.admin),
        json!({}),
    )
    .await;
    let delivered = shop.eventually(&path, &ann, "status", "delivered").await;
    assert_eq!(
        statuses(&delivered),
        [
            "placed",
            "stock_reserved",
            "payment_authorized",
            "paid",
            "shipped",
            "delivered"
        ]
    );
    assert_eq!(delivered.body["shipment"]["status"], "delivered");
    let payment = paid.body["payment"]["id"].as_str().unwrap();
    let view = shop
        .get(&format!("/api/payments/{payment}"), Some(&ann))
        .await;
    assert_eq!(
        (
            view.body["status"].clone(),
            view.body["captured"]["amount"].clone()
        ),
        (json!("captured"), json!(2598))
    );
    assert_eq!(shop.provider.effective("authorize").len(), 1);
    assert_eq!(shop.provider.effective("capture").len(), 1);
}

#[tokio::test]
async fn one_line_out_of_stock_rejects_the_order_and_holds_nothing() {
    let shop = spawn_shop().await;
    let mug = shop.product("MUG", "kitchen", 1000, 5).await;
    let tea = shop.product("TEA", "tea", 300, 1).await;
    let pot = shop.product("POT", "tea", 3000, 9).await;
    let (ann, order) = shop
        .checkout(
            "ann@example.com",
            &[(&mug, 2), (&tea, 3), (&pot, 1)],
            "pm_card_ok",
        )
        .await;
    let rejected = shop
        .eventually(&format!("/api/orders/{order}"), &ann, "status", "rejected")
        .await;
    assert!(
        rejected.body["reason"].as_str().unwrap().contains(&tea),
        "{}",
        rejected.body
    );
    assert!(rejected.body["payment"].is_null());
    for (product, stock) in [(&mug, 5), (&tea, 1), (&pot, 9)] {
        assert_eq!(shop.stock(product).await, (stock, 0, stock), "{product}");
    }
    assert!(shop.provider.calls().is_empty(), "nothing was charged");
}

#[tokio::test]
async fn a_declined_payment_rejects_the_order_and_releases_its_stock() {
    let shop = spawn_shop().await;
    let mug = shop.product("MUG", "kitchen", 1000, 5).await;
    let (ann, order) = shop
        .checkout("ann@example.com", &[(&mug, 2)], "pm_card_declined")
        .await;
    let rejected = shop
        .eventually(&format!("/api/orders/{order}"), &ann, "status", "rejected")
        .await;
    assert_eq!(rejected.body["payment"]["status"], "declined");
    assert_eq!(rejected.body["reason"], "card declined");
    assert_eq!(shop.stock(&mug).await, (5, 0, 5));
}

#[tokio::test]
async fn a_flaky_card_is_retried_and_charged_once() {
    let shop = spawn_shop().await;
    let mug = shop.product("MUG", "kitchen", 1000, 5).await;
    let (ann, order) = shop
        .checkout("ann@example.com", &[(&mug, 1)], "pm_card_flaky")
        .await;
    shop.paid(&format!("/api/orders/{order}"), &ann).await;
    let attempts: Vec<_> = shop
        .provider
        .calls()
        .into_iter()
        .filter(|c| c.operation == "authorize")
        .map(|c| c.outcome)
        .collect();
    assert_eq!(attempts, ["transient", "approved"]);
    assert_eq!(shop.provider.effective("authorize").len(), 1);
}

#[tokio::test]
async fn an_unavailable_provider_cancels_the_order_after_the_retries() {
    let shop = spawn_with(|layer| layer.payment_retries = Some(2)).await;
    let mug = shop.product("MUG", "kitchen", 1000, 5).await;
    let (ann, order) = shop
        .checkout("ann@example.com", &[(&mug, 2)], "pm_card_unavailable")
        .await;
    let cancelled = shop
        .eventually(&format!("/api/orders/{order}"), &ann, "status", "cancelled")
        .await;
    assert_eq!(cancelled.body["payment"]["status"], "declined");
    assert_eq!(cancelled.body["reason"], "payment provider unavailable");
    let attempts = shop
        .provider
        .calls()
        .iter()
        .filter(|c| c.operation == "authorize")
        .count();
    assert_eq!(attempts, 3, "the first attempt and two retries");
    assert_eq!(shop.stock(&mug).await, (5, 0, 5));
}

#[tokio::test]
async fn fifty_checkouts_for_the_last_ten_units_sell_exactly_ten() {
    let shop = spawn_shop().await;
    let mug = shop.product("LAST", "kitchen", 500, 10).await;
    let buyers = (0..50).map(|i| {
        let (client, base) = (shop.client.clone(), shop.base.clone());
        let mug = mug.clone();
        async move {
            let email = format!("buyer{i}@example.com");
            let json = |v| serde_json::to_vec(&v).unwrap();
            let post = |path: String, token: Option<String>, body: Vec<u8>| {
                let mut request = client
                    .post(format!("{base}{path}"))
                    .header("content-type", "application/json")
                    .body(body);
                if let Some(token) = token {
                    request = request.bearer_auth(token);
                }
                request.send()
            };
            post(
                "/api/users".into(),
                None,
                json(json!({"email": email, "password": PASSWORD, "name": "Buyer"})),
            )
            .await
            .unwrap();
            let login: serde_json::Value = post(
                "/api/auth/login".into(),
                None,
                json(json!({"email": email, "password": PASSWORD})),
            )
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
            let token = login["access_token"].as_str().unwrap().to_owned();
            let cart: serde_json::Value = client
                .post(format!("{base}/api/carts"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let cart = cart["id"].as_str().unwrap().to_owned();
            post(
                format!("/api/carts/{cart}/items"),
                Some(token.clone()),
                json(json!({"product_id": mug, "quantity": 1})),
            )
            .await
            .unwrap();
            (token, cart)
        }
    });
    let carts = futures_util::future::join_all(buyers).await;
    // Every checkout at once.
    let checkouts = carts.iter().map(|(token, cart)| {
        shop.client.post(format!("{}/api/carts/{cart}/checkout", shop.base)).bearer_auth(token)
            .json(&json!({"shipping_address": {"name": "B", "line1": "L", "city": "C", "postal_code": "1", "country": "DE"},
                          "payment_method": "pm_card_ok"}))
            .send()
    });
    let answers = futures_util::future::join_all(checkouts).await;
    let mut orders = Vec::new();
    for answer in answers {
        let answer = answer.unwrap();
        assert_eq!(answer.status(), StatusCode::ACCEPTED);
        let body: serde_json::Value = answer.json().await.unwrap();
        orders.push(body["order_id"].as_str().unwrap().to_owned());
    }
    let (mut paid, mut rejected) = (0, 0);
    for (order, (token, _)) in orders.iter().zip(&carts) {
        let path = format!("/api/orders/{order}");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let status = shop.get(&path, Some(token)).await.body["status"]
                .as_str()
                .unwrap_or("")
                .to_owned();
            match status.as_str() {
                "paid" => {
                    paid += 1;
                    break;
                }
                "rejected" => {
                    rejected += 1;
                    break;
                }
                _ => {
                    assert!(
                        std::time::Instant::now() < deadline,
                        "{order} stuck in {status}"
                    );
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
            }
        }
    }
    assert_eq!((paid, rejected), (10, 40));
    assert_eq!(
        shop.stock(&mug).await,
        (10, 10, 0),
        "every unit is held by a paid order"
    );
    let low = shop
        .get(
            "/api/reports/inventory/low-stock?threshold=0",
            Some(&shop.admin),
        )
        .await;
    let holds = low.body["items"][0]["holds"].as_array().unwrap();
    assert_eq!(holds.len(), 10);
    assert!(holds.iter().all(|h| h["quantity"] == 1));
    assert_eq!(shop.provider.effective("authorize").len(), 10);
}
