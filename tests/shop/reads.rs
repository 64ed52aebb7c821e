//! Profiles, reports, and what a deactivated user can read.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn the_profile_shows_the_users_own_data_and_never_the_password_hash() {
    let shop = spawn_shop().await;
    let (id, ann) = shop.customer("Ann@Example.com").await;
    let changed = shop
        .send(
            Method::PATCH,
            "/api/users/me",
            Some(&ann),
            Some(json!({"name": "Ann Müller"})),
            &[],
        )
        .await;
    let me = shop
        .get_at("/api/users/me", Some(&ann), changed.position())
        .await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert_eq!(
        (
            me.body["id"].clone(),
            me.body["email"].clone(),
            me.body["name"].clone()
        ),
        (json!(id), json!("ann@example.com"), json!("Ann Müller"))
    );
    assert_eq!(me.body["roles"], json!(["customer"]));
    assert!(!me.body.to_string().contains("argon2"));
    assert_problem(
        &shop.get("/api/users/me", None).await,
        StatusCode::UNAUTHORIZED,
    );
}

#[tokio::test]
async fn a_deactivated_user_reads_nothing() {
    let shop = spawn_shop().await;
    let (id, ann) = shop.customer("ann@example.com").await;
    shop.post(
        &format!("/api/users/{id}/deactivate"),
        Some(&shop.admin),
        json!({"reason": "fraud"}),
    )
    .await;
    assert_problem(
        &shop.get("/api/users/me", Some(&ann)).await,
        StatusCode::UNAUTHORIZED,
    );
    assert_problem(
        &shop.get("/api/orders", Some(&ann)).await,
        StatusCode::UNAUTHORIZED,
    );
}

#[tokio::test]
async fn reports_count_paid_sales_best_sellers_and_low_stock_for_admins_only() {
    let shop = spawn_shop().await;
    let mug = shop.product("MUG", "kitchen", 1000, 3).await;
    let tea = shop.product("TEA", "tea", 250, 50).await;
    let (_, ann) = shop.customer("ann@example.com").await;
    for (product, quantity) in [(&mug, 2), (&tea, 5), (&mug, 1)] {
        let order = shop
            .checkout_as(&ann, &[(product, quantity)], "pm_card_ok")
            .await;
        shop.paid(&format!("/api/orders/{order}"), &ann).await;
    }
    let today = chrono::Utc::now().date_naive();
    let sales = shop
        .get(
            &format!("/api/reports/sales/daily?from={today}&to={today}"),
            Some(&shop.admin),
        )
        .await;
    assert_eq!(sales.status, StatusCode::OK, "{}", sales.body);
    let day = &sales.body["items"][0];
    assert_eq!(
        (day["orders"].clone(), day["items"].clone()),
        (json!(3), json!(8))
    );
    assert_eq!(day["revenue"], json!({"amount": 4250, "currency": "EUR"}));
    let by_units = shop
        .get("/api/reports/products/top?by=units", Some(&shop.admin))
        .await;
    assert_eq!(
        (
            by_units.body["items"][0]["sku"].clone(),
            by_units.body["items"][0]["units"].clone()
        ),
        (json!("TEA"), json!(5))
    );
    let by_revenue = shop
        .get(
            "/api/reports/products/top?by=revenue&limit=1",
            Some(&shop.admin),
        )
        .await;
    assert_eq!(by_revenue.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(by_revenue.body["items"][0]["sku"], "MUG");
    let low = shop
        .get(
            "/api/reports/inventory/low-stock?threshold=3",
            Some(&shop.admin),
        )
        .await;
    let skus: Vec<_> = low.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["sku"].clone())
        .collect();
    assert_eq!(skus, [json!("MUG")]);
    for path in [
        "/api/reports/sales/daily",
        "/api/reports/products/top",
        "/api/reports/inventory/low-stock",
    ] {
        assert_problem(&shop.get(path, Some(&ann)).await, StatusCode::FORBIDDEN);
    }
    for q in [
        "sales/daily?from=2026-13-01",
        "sales/daily?from=2026-11-02&to=2026-11-01",
        "products/top?by=love",
        "inventory/low-stock?threshold=-1",
        "products/top?limit=0",
    ] {
        assert_problem(
            &shop
                .get(&format!("/api/reports/{q}"), Some(&shop.admin))
                .await,
            StatusCode::BAD_REQUEST,
        );
    }
}

#[tokio::test]
async fn every_query_route_is_in_the_openapi_document() {
    let shop = spawn_shop().await;
    let doc = shop
        .send(Method::GET, "/api-docs/openapi.json", None, None, &[])
        .await;
    for path in [
        "/api/products",
        "/api/products/{id}",
        "/api/carts/{id}",
        "/api/orders",
        "/api/orders/{id}",
        "/api/orders/{id}/shipment",
        "/api/payments/{id}",
        "/api/shipments/{id}",
        "/api/users/me",
        "/api/reports/sales/daily",
        "/api/reports/products/top",
        "/api/reports/inventory/low-stock",
    ] {
        assert!(
            doc.body["paths"][path]["get"].is_object(),
            "GET {path} is not documented"
        );
    }
    assert!(
        doc.body["paths"]["/api/products"]["post"].is_object(),
        "the command routes are merged in"
    );
}
