//! The catalog and carts: read your writes, filters, sorting, stable pages, bad parameters.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

fn ids(answer: &Answer) -> Vec<String> {
    answer.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["sku"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_created_product_is_readable_at_the_position_its_command_answered() {
    let shop = spawn_shop().await;
    let created = shop
        .post(
            "/api/products",
            Some(&shop.admin),
            json!({"sku": "MUG-1", "name": "Tasse für Kaffee ☕",
        "category": "kitchen", "price": {"amount": 1299, "currency": "EUR"}, "initial_stock": 5}),
        )
        .await;
    let id = created.id();
    let product = shop
        .get_at(&format!("/api/products/{id}"), None, created.position())
        .await;
    assert_eq!(product.status, StatusCode::OK, "{}", product.body);
    assert_eq!(product.body["name"], "Tasse für Kaffee ☕");
    assert_eq!(product.body["available"], 5);
    assert_eq!(
        product.body["price"],
        json!({"amount": 1299, "currency": "EUR"})
    );
    assert!(product.body.get("terms").is_none());
    let restocked = shop
        .post(
            &format!("/api/products/{id}/stock"),
            Some(&shop.admin),
            json!({"delta": 7, "reason": "delivery"}),
        )
        .await;
    // The position as a query parameter this time (no X-Min-Position header).
    let path = format!("/api/products/{id}?min_position={}", restocked.position());
    let product = shop.send(Method::GET, &path, None, None, &[]).await;
    assert_eq!(product.body["available"], 12);
    let missing = shop
        .get(&format!("/api/products/{}", uuid::Uuid::now_v7()), None)
        .await;
    assert_problem(&missing, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_catalog_filters_sorts_and_searches() {
    let shop = spawn_shop().await;
    shop.product("A-1", "kitchen", 500, 3).await;
    shop.product("B-2", "kitchen", 1500, 0).await;
    shop.product("C-3", "tea", 900, 10).await;
    let old = shop.product("D-4", "tea", 100, 1).await;
    shop.post(
        &format!("/api/products/{old}/discontinue"),
        Some(&shop.admin),
        json!({"reason": "gone"}),
    )
    .await;
    let get = |q: &'static str| {
        let shop = &shop;
        async move { shop.get(&format!("/api/products?{q}"), None).await }
    };
    assert_eq!(ids(&get("").await), ["A-1", "B-2", "C-3"]);
    assert_eq!(ids(&get("category=tea").await), ["C-3"]);
    assert_eq!(
        ids(&get("min_price=600&max_price=1500").await),
        ["B-2", "C-3"]
    );
    assert_eq!(ids(&get("in_stock=true&sort=-price").await), ["C-3", "A-1"]);
    assert_eq!(
        ids(&get("sort=price&include_discontinued=true").await),
        ["D-4", "A-1", "C-3", "B-2"]
    );
    assert_eq!(ids(&get("q=B-2%20MUG").await), ["B-2"]);
    assert_eq!(ids(&get("q=nothing").await), Vec::<String>::new());
}

#[tokio::test]
async fn pages_stay_stable_while_products_arrive() {
    let shop = spawn_shop().await;
    for sku in ["B", "D", "F", "H"] {
        shop.product(sku, "kitchen", 100, 1).await;
    }
    let first = shop.get("/api/products?limit=2", None).await;
    assert_eq!(ids(&first), ["B", "D"]);
    shop.product("A", "kitchen", 100, 1).await;
    shop.product("E", "kitchen", 100, 1).await;
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let second = shop
        .get(&format!("/api/products?limit=2&cursor={cursor}"), None)
        .await;
    assert_eq!(ids(&second), ["E", "F"]);
    let cursor = second.body["next_cursor"].as_str().unwrap();
    let last = shop
        .get(&format!("/api/products?limit=2&cursor={cursor}"), None)
        .await;
    assert_eq!(ids(&last), ["H"]);
    assert!(last.body["next_cursor"].is_null());
}

#[tokio::test]
async fn bad_query_parameters_are_400_problems() {
    let shop = spawn_shop().await;
    for q in [
        "limit=0",
        "limit=101",
        "limit=ten",
        "sort=cheapest",
        "min_price=abc",
        "in_stock=maybe",
        "cursor=not-a-cursor",
        "min_position=-1",
        "min_position=soon",
    ] {
        let answer = shop
            .send(Method::GET, &format!("/api/products?{q}"), None, None, &[])
            .await;
        assert_problem(&answer, StatusCode::BAD_REQUEST);
    }
    // A cursor from another sort order is refused too.
    for sku in ["A", "B", "C"] {
        shop.product(sku, "k", 100, 1).await;
    }
    let page = shop.get("/api/products?limit=1&sort=price", None).await;
    let cursor = page.body["next_cursor"].as_str().unwrap();
    let answer = shop
        .send(
            Method::GET,
            &format!("/api/products?cursor={cursor}&sort=newest"),
            None,
            None,
            &[],
        )
        .await;
    assert_problem(&answer, StatusCode::BAD_REQUEST);
    let header = shop
        .send(
            Method::GET,
            "/api/products",
            None,
            None,
            &[("X-Min-Position", "x")],
        )
        .await;
    assert_problem(&header, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_position_not_reached_in_time_is_a_504_and_one_past_the_head_a_422() {
    use infra::event_store::{AppendRequest, EventMetadata, ExpectedVersion, NewEvent};
    let shop = spawn_with(|layer| layer.min_position_wait_ms = Some(200)).await;
    // An event the catalog cannot read parks it there: it never reaches that position.
    let poison = shop
        .events
        .append(AppendRequest {
            stream: format!("product-{}", uuid::Uuid::now_v7()),
            expected: ExpectedVersion::NoStream,
            events: vec![NewEvent::new(
                "ProductCreated",
                1,
                json!({"not": "a product"}),
            )],
            metadata: EventMetadata::new(chrono::Utc::now()),
        })
        .await
        .unwrap();
    let parked = shop
        .get_at("/api/products", None, poison.last_position)
        .await;
    assert_problem(&parked, StatusCode::GATEWAY_TIMEOUT);
    // A position the log has not reached yet is refused at once, naming the parameter.
    let head = shop.events.head().await.unwrap();
    let started = std::time::Instant::now();
    let past = shop.get_at("/api/products", None, head + 1).await;
    assert_problem(&past, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(past.body["errors"][0]["field"], "min_position");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "it did not wait"
    );
    // Beyond the stores' integer range: malformed.
    let huge = shop.get_at("/api/products", None, u64::MAX).await;
    assert_problem(&huge, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_cart_shows_current_prices_to_its_owner_only() {
    let shop = spawn_shop().await;
    let mug = shop.product("MUG", "kitchen", 1000, 5).await;
    let tea = shop.product("TEA", "tea", 250, 5).await;
    let (_, ann) = shop.customer("ann@example.com").await;
    let (_, bob) = shop.customer("bob@example.com").await;
    let cart = shop
        .send(Method::POST, "/api/carts", Some(&ann), None, &[])
        .await
        .id();
    let empty = shop.get(&format!("/api/carts/{cart}"), Some(&ann)).await;
    assert_eq!(
        (empty.body["lines"].clone(), empty.body["total"].clone()),
        (json!([]), json!(null))
    );
    shop.post(
        &format!("/api/carts/{cart}/items"),
        Some(&ann),
        json!({"product_id": mug, "quantity": 2}),
    )
    .await;
    let added = shop
        .post(
            &format!("/api/carts/{cart}/items"),
            Some(&ann),
            json!({"product_id": tea, "quantity": 1}),
        )
        .await;
    let view = shop
        .get_at(&format!("/api/carts/{cart}"), Some(&ann), added.position())
        .await;
    assert_eq!(view.status, StatusCode::OK, "{}", view.body);
    assert_eq!(
        view.body["total"],
        json!({"amount": 2250, "currency": "EUR"})
    );
    assert_eq!(
        view.body["lines"][0]["line_total"],
        json!({"amount": 2000, "currency": "EUR"})
    );
    let repriced = shop
        .send(
            Method::PUT,
            &format!("/api/products/{mug}/price"),
            Some(&shop.admin),
            Some(json!({"price": {"amount": 1200, "currency": "EUR"}})),
            &[],
        )
        .await;
    let view = shop
        .get_at(
            &format!("/api/carts/{cart}"),
            Some(&ann),
            repriced.position(),
        )
        .await;
    assert_eq!(
        view.body["total"],
        json!({"amount": 2650, "currency": "EUR"})
    );
    assert_problem(
        &shop.get(&format!("/api/carts/{cart}"), Some(&bob)).await,
        StatusCode::FORBIDDEN,
    );
    assert_problem(
        &shop.get(&format!("/api/carts/{cart}"), None).await,
        StatusCode::UNAUTHORIZED,
    );
}
