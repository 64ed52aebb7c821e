//! What every route shares: problem details for bad input, idempotency, concurrency,
//! metadata, OpenAPI and health.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn malformed_json_is_a_400_and_other_media_types_a_415() {
    let app = spawn_app().await;
    for body in [
        &b"{\"email\": "[..],
        b"not json",
        b"{\"a\":1} {\"b\":2}",
        b"\xff\xfe",
    ] {
        let before = app.head().await;
        let answer = app
            .raw(
                Method::POST,
                "/api/users",
                None,
                "application/json",
                body.to_vec(),
            )
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
        assert_problem(&answer);
        assert_eq!(app.head().await, before);
    }
    let answer = app
        .raw(
            Method::POST,
            "/api/users",
            None,
            "text/plain",
            b"{}".to_vec(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_problem(&answer);
    // No content type: a body is still a 415, no body at all reads as `{}` (here: fields missing).
    let untyped = app
        .client
        .post(format!("{}/api/users", app.base))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(untyped.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let bare = app.send(Method::POST, "/api/users", None, None, &[]).await;
    assert_eq!(
        bare.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        bare.body
    );
    assert_problem(&bare);
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413() {
    let app = spawn_with(|layer| layer.body_limit_bytes = Some(4096)).await;
    let big = json!({"email": "a@example.com", "password": PASSWORD, "name": "x".repeat(5000)});
    let before = app.head().await;
    let answer = app
        .raw(
            Method::POST,
            "/api/users",
            None,
            "application/json",
            serde_json::to_vec(&big).unwrap(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_problem(&answer);
    assert_eq!(app.head().await, before);
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_as_problems() {
    let app = spawn_app().await;
    let answer = app.send(Method::GET, "/api/nowhere", None, None, &[]).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_problem(&answer);
    let answer = app
        .send(Method::DELETE, "/api/users", None, None, &[])
        .await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_problem(&answer);
}

#[tokio::test]
async fn a_retried_idempotency_key_returns_the_first_answer_and_appends_nothing() {
    let app = spawn_app().await;
    let body = json!({"sku": "MUG-1", "name": "Mug", "category": "kitchen",
                      "price": {"amount": 100, "currency": "EUR"}, "initial_stock": 1});
    let key = [("Idempotency-Key", "create-mug-1")];
    let first = app
        .send(
            Method::POST,
            "/api/products",
            Some(&app.admin),
            Some(body.clone()),
            &key,
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let head = app.head().await;
    let again = app
        .send(
            Method::POST,
            "/api/products",
            Some(&app.admin),
            Some(body.clone()),
            &key,
        )
        .await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);
    assert_eq!(again.body, first.body);
    assert_eq!(again.headers["location"], first.headers["location"]);
    assert_eq!(app.head().await, head, "the retry appended");
    // Same key, another body: refused.
    let mut other = body;
    other["sku"] = json!("MUG-2");
    let answer = app
        .send(
            Method::POST,
            "/api/products",
            Some(&app.admin),
            Some(other),
            &key,
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.body
    );
    assert_problem(&answer);
    assert_eq!(app.head().await, head);
}

#[tokio::test]
async fn a_retried_checkout_places_one_order() {
    let app = spawn_app().await;
    let mug = app.product("MUG-1", 100, 5).await;
    let (_, token) = app.customer("ann@example.com").await;
    let cart = app.cart(&token).await;
    app.post(
        &format!("/api/carts/{cart}/items"),
        Some(&token),
        json!({"product_id": mug, "quantity": 1}),
    )
    .await;
    let body = json!({"shipping_address": address(), "payment_method": "pm_card_ok"});
    let key = [("Idempotency-Key", "checkout-7f3a")];
    let path = format!("/api/carts/{cart}/checkout");
    let first = app
        .send(Method::POST, &path, Some(&token), Some(body.clone()), &key)
        .await;
    let again = app
        .send(Method::POST, &path, Some(&token), Some(body), &key)
        .await;
    assert_eq!(first.status, StatusCode::ACCEPTED);
    assert_eq!(again.status, StatusCode::ACCEPTED, "{}", again.body);
    assert_eq!(first.body, again.body);
}

#[tokio::test]
async fn a_stale_if_match_is_a_409_with_the_current_version() {
    let app = spawn_app().await;
    let id = app.product("MUG-1", 100, 5).await;
    let path = format!("/api/products/{id}/stock");
    let restock = json!({"delta": 1, "reason": "delivery"});
    let ok = app
        .send(
            Method::POST,
            &path,
            Some(&app.admin),
            Some(restock.clone()),
            &[("If-Match", "\"1\"")],
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let before = app.head().await;
    let stale = app
        .send(
            Method::POST,
            &path,
            Some(&app.admin),
            Some(restock.clone()),
            &[("If-Match", "\"1\"")],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    assert_problem(&stale);
    assert_eq!(stale.body["current_version"], 2);
    assert_eq!(app.head().await, before);
    let bad = app
        .send(
            Method::POST,
            &path,
            Some(&app.admin),
            Some(restock),
            &[("If-Match", "soon")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn concurrent_stale_updates_with_if_match_let_one_win() {
    let app = spawn_app().await;
    let id = app.product("MUG-1", 100, 5).await;
    let path = format!("/api/products/{id}/stock");
    let tries = (0..8).map(|_| {
        let (client, url, token) = (
            app.client.clone(),
            format!("{}{path}", app.base),
            app.admin.clone(),
        );
        tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(token)
                .header("If-Match", "1")
                .json(&json!({"delta": 1, "reason": "race"}))
                .send()
                .await
                .unwrap()
                .status()
        })
    });
    let mut statuses = Vec::new();
    for t in tries {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CONFLICT)
            .count(),
        7,
        "{statuses:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_two_concurrent_adds_to_one_cart_all_succeed() {
    let app = spawn_app().await;
    let mug = app.product("MUG-1", 100, 5).await;
    let (_, token) = app.customer("ann@example.com").await;
    let cart = app.cart(&token).await;
    let adds = (0..32).map(|_| {
        let (client, url, token, mug) = (
            app.client.clone(),
            format!("{}/api/carts/{cart}/items", app.base),
            token.clone(),
            mug.clone(),
        );
        tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(token)
                .json(&json!({"product_id": mug, "quantity": 1}))
                .send()
                .await
                .unwrap()
                .status()
        })
    });
    for add in adds {
        assert_eq!(add.await.unwrap(), StatusCode::OK);
    }
    let cart = app.state.carts.load(&cart).await.unwrap().aggregate;
    let domain::cart::Cart::Open(state) = cart else {
        panic!("cart not open")
    };
    assert_eq!(state.lines[0].quantity.get(), 32);
}

#[tokio::test]
async fn events_carry_who_when_and_the_correlation_id() {
    let app = spawn_app().await;
    let correlation = "0192f3a0-7c1f-7000-8000-0000000000aa";
    let answer = app
        .send(
            Method::POST,
            "/api/users",
            None,
            Some(json!({"email": "ann@example.com", "password": PASSWORD, "name": "Ann"})),
            &[("X-Correlation-Id", correlation)],
        )
        .await;
    assert_eq!(answer.headers["x-correlation-id"], correlation);
    let request_id = answer.headers["x-request-id"].to_str().unwrap().to_owned();
    let id = answer.id();
    let token = app.login("ann@example.com", PASSWORD).await;
    let cart = app
        .send(Method::POST, "/api/carts", Some(&token), None, &[])
        .await;
    let events = app
        .store
        .read_stream(&format!("cart-{}", cart.id()), 1)
        .await
        .unwrap();
    assert_eq!(events[0].metadata.user_id.as_deref(), Some(id.as_str()));
    assert!(events[0].metadata.command_id.is_some());
    let registered = app
        .store
        .read_stream(&format!("user-{id}"), 1)
        .await
        .unwrap();
    assert_eq!(
        registered[0].metadata.correlation_id.to_string(),
        correlation
    );
    assert_eq!(
        registered[0].metadata.causation_id.unwrap().to_string(),
        request_id
    );
}

#[tokio::test]
async fn the_openapi_document_lists_every_command_route_and_swagger_ui_is_served() {
    let app = spawn_app().await;
    let doc = app
        .send(Method::GET, "/api-docs/openapi.json", None, None, &[])
        .await;
    assert_eq!(doc.status, StatusCode::OK);
    for (path, method) in [
        ("/api/users", "post"),
        ("/api/auth/login", "post"),
        ("/api/users/me", "patch"),
        ("/api/users/{id}/roles", "put"),
        ("/api/users/{id}/deactivate", "post"),
        ("/api/products", "post"),
        ("/api/products/{id}", "patch"),
        ("/api/products/{id}/price", "put"),
        ("/api/products/{id}/stock", "post"),
        ("/api/products/{id}/discontinue", "post"),
        ("/api/carts", "post"),
        ("/api/carts/{id}/items", "post"),
        ("/api/carts/{id}/items/{product_id}", "put"),
        ("/api/carts/{id}/items/{product_id}", "delete"),
        ("/api/carts/{id}/checkout", "post"),
        ("/api/orders/{id}/cancel", "post"),
        ("/api/payments/{id}/refund", "post"),
        ("/api/shipments/{id}/dispatch", "post"),
        ("/api/shipments/{id}/deliver", "post"),
        ("/health/live", "get"),
        ("/health/ready", "get"),
    ] {
        assert!(
            doc.body["paths"][path][method].is_object(),
            "{method} {path} is not documented"
        );
    }
    assert!(doc.body["components"]["schemas"]["Problem"].is_object());
    let ui = app
        .client
        .get(format!("{}/api-docs/", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ui.status(), StatusCode::OK);
    let html = ui.text().await.unwrap();
    assert!(html.contains("swagger-ui"));
    assert!(
        !html.contains("cdn."),
        "Swagger UI must not load from a CDN"
    );
}

#[tokio::test]
async fn health_answers() {
    let app = spawn_app().await;
    assert_eq!(
        app.send(Method::GET, "/health/live", None, None, &[])
            .await
            .status,
        StatusCode::OK
    );
    let ready = app
        .send(Method::GET, "/health/ready", None, None, &[])
        .await;
    assert_eq!(
        (ready.status, ready.body["status"].as_str()),
        (StatusCode::OK, Some("ok"))
    );
}
