use crate::helpers::*;
use domain::product::Product;
use reqwest::{Method, StatusCode};
use serde_json::json;

fn new_product(sku: &str) -> serde_json::Value {
    json!({"sku": sku, "name": "Tasse für Kaffee ☕", "description": "Steingut, 300 ml",
           "category": "kitchen", "price": {"amount": 1299, "currency": "EUR"}, "initial_stock": 5})
}

async fn stock(app: &TestApp, id: &str) -> (u32, u32) {
    let product = app.state.products.load(id).await.unwrap().aggregate;
    let state = product.state().unwrap();
    (state.on_hand, state.available())
}

#[tokio::test]
async fn an_admin_creates_a_product_with_unicode_text() {
    let app = spawn_app().await;
    let answer = app
        .post("/api/products", Some(&app.admin), new_product("MUG-1"))
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    let id = answer.id();
    assert_eq!(answer.headers["location"], format!("/api/products/{id}"));
    let product = app.state.products.load(&id).await.unwrap().aggregate;
    assert_eq!(
        product.state().unwrap().name.as_str(),
        "Tasse für Kaffee ☕"
    );
}

#[tokio::test]
async fn only_admins_create_products() {
    let app = spawn_app().await;
    let (_, token) = app.customer("ann@example.com").await;
    app.refused(
        StatusCode::UNAUTHORIZED,
        Method::POST,
        "/api/products",
        None,
        Some(new_product("A")),
    )
    .await;
    app.refused(
        StatusCode::FORBIDDEN,
        Method::POST,
        "/api/products",
        Some(&token),
        Some(new_product("A")),
    )
    .await;
    // The role is checked before the body is read.
    app.refused(
        StatusCode::FORBIDDEN,
        Method::POST,
        "/api/products",
        Some(&token),
        Some(json!({})),
    )
    .await;
}

#[tokio::test]
async fn a_sku_is_used_once() {
    let app = spawn_app().await;
    app.product("MUG-1", 100, 1).await;
    app.refused(
        StatusCode::CONFLICT,
        Method::POST,
        "/api/products",
        Some(&app.admin),
        Some(new_product("MUG-1")),
    )
    .await;
}

#[tokio::test]
async fn absurd_or_malformed_product_fields_are_refused() {
    let app = spawn_app().await;
    let cases = [
        json!({"sku": "has space", "name": "X", "category": "c", "price": {"amount": 1, "currency": "EUR"}}),
        json!({"sku": "A", "name": "", "category": "c", "price": {"amount": 1, "currency": "EUR"}}),
        json!({"sku": "A", "name": "X", "category": "c", "price": {"amount": -1, "currency": "EUR"}}),
        json!({"sku": "A", "name": "X", "category": "c", "price": {"amount": 1, "currency": "euro"}}),
        json!({"sku": "A", "name": "X", "category": "c", "price": {"amount": 1.5, "currency": "EUR"}}),
        json!({"sku": "A", "name": "X", "category": "c", "price": {"amount": 1e30, "currency": "EUR"}}),
        json!({"sku": "A", "name": "X", "category": "c", "price": {"amount": 1, "currency": "EUR"}, "initial_stock": -3}),
        json!({"sku": "A", "name": "X", "category": "c", "price": {"amount": 1, "currency": "EUR"}, "initial_stock": 4_294_967_296u64}),
        json!({"sku": "A", "name": "X".repeat(201), "category": "c", "price": {"amount": 1, "currency": "EUR"}}),
        json!({"sku": "A", "name": "X", "category": "c"}),
    ];
    for body in cases {
        app.refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            Method::POST,
            "/api/products",
            Some(&app.admin),
            Some(body),
        )
        .await;
    }
    let too_much = json!({"sku": "A", "name": "X", "category": "c",
        "price": {"amount": 1, "currency": "EUR"}, "initial_stock": 2_000_000_000u32});
    app.refused(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::POST,
        "/api/products",
        Some(&app.admin),
        Some(too_much),
    )
    .await;
}

#[tokio::test]
async fn stock_is_restocked_corrected_and_never_below_zero() {
    let app = spawn_app().await;
    let id = app.product("MUG-1", 100, 5).await;
    let path = format!("/api/products/{id}/stock");
    let answer = app
        .post(
            &path,
            Some(&app.admin),
            json!({"delta": 10, "reason": "delivery"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(stock(&app, &id).await, (15, 15));
    app.refused(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::POST,
        &path,
        Some(&app.admin),
        Some(json!({"delta": -16, "reason": "count"})),
    )
    .await;
    app.refused(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::POST,
        &path,
        Some(&app.admin),
        Some(json!({"delta": 0, "reason": "count"})),
    )
    .await;
    app.refused(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::POST,
        &path,
        Some(&app.admin),
        Some(json!({"delta": i64::MAX, "reason": "count"})),
    )
    .await;
    app.refused(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::POST,
        &path,
        Some(&app.admin),
        Some(json!({"delta": 1, "reason": ""})),
    )
    .await;
    app.refused(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::POST,
        &path,
        Some(&app.admin),
        Some(json!({"delta": "ten", "reason": "x"})),
    )
    .await;
    let unknown = format!("/api/products/{}/stock", unknown_id());
    app.refused(
        StatusCode::NOT_FOUND,
        Method::POST,
        &unknown,
        Some(&app.admin),
        Some(json!({"delta": 1, "reason": "x"})),
    )
    .await;
    app.refused(
        StatusCode::NOT_FOUND,
        Method::POST,
        "/api/products/not-a-uuid/stock",
        Some(&app.admin),
        Some(json!({"delta": 1, "reason": "x"})),
    )
    .await;
    assert_eq!(stock(&app, &id).await, (15, 15));
}

#[tokio::test]
async fn price_and_details_change_and_discontinued_products_freeze() {
    let app = spawn_app().await;
    let id = app.product("MUG-1", 100, 5).await;
    let price = format!("/api/products/{id}/price");
    let answer = app
        .send(
            Method::PUT,
            &price,
            Some(&app.admin),
            Some(json!({"price": {"amount": 150, "currency": "EUR"}})),
            &[],
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    app.refused(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::PUT,
        &price,
        Some(&app.admin),
        Some(json!({"price": {"amount": 150, "currency": "USD"}})),
    )
    .await;
    let details = format!("/api/products/{id}");
    let answer = app
        .send(
            Method::PATCH,
            &details,
            Some(&app.admin),
            Some(json!({"name": "Große Tasse"})),
            &[],
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    app.refused(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::PATCH,
        &details,
        Some(&app.admin),
        Some(json!({})),
    )
    .await;
    let discontinue = format!("/api/products/{id}/discontinue");
    let answer = app
        .post(
            &discontinue,
            Some(&app.admin),
            json!({"reason": "end of line"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    app.refused(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::POST,
        &discontinue,
        Some(&app.admin),
        Some(json!({"reason": "again"})),
    )
    .await;
    app.refused(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::PUT,
        &price,
        Some(&app.admin),
        Some(json!({"price": {"amount": 1, "currency": "EUR"}})),
    )
    .await;
    let product = app.state.products.load(&id).await.unwrap().aggregate;
    assert!(matches!(product, Product::Discontinued(_)));
    assert_eq!(product.state().unwrap().price.amount(), 150);
    assert_eq!(product.state().unwrap().name.as_str(), "Große Tasse");
}

#[tokio::test]
async fn customers_cannot_change_products() {
    let app = spawn_app().await;
    let id = app.product("MUG-1", 100, 5).await;
    let (_, token) = app.customer("ann@example.com").await;
    app.refused(
        StatusCode::FORBIDDEN,
        Method::POST,
        &format!("/api/products/{id}/stock"),
        Some(&token),
        Some(json!({"delta": 1, "reason": "x"})),
    )
    .await;
    app.refused(
        StatusCode::FORBIDDEN,
        Method::PUT,
        &format!("/api/products/{id}/price"),
        Some(&token),
        Some(json!({"price": {"amount": 1, "currency": "EUR"}})),
    )
    .await;
    app.refused(
        StatusCode::FORBIDDEN,
        Method::PATCH,
        &format!("/api/products/{id}"),
        Some(&token),
        Some(json!({"name": "x"})),
    )
    .await;
    app.refused(
        StatusCode::FORBIDDEN,
        Method::POST,
        &format!("/api/products/{id}/discontinue"),
        Some(&token),
        Some(json!({"reason": "x"})),
    )
    .await;
}
