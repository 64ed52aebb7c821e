use crate::helpers::*;
use domain::cart::Cart;
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn lines(app: &TestApp, cart: &str) -> Vec<(String, u32)> {
    match app.state.carts.load(cart).await.unwrap().aggregate {
        Cart::Open(state) | Cart::CheckedOut { cart: state, .. } => state
            .lines
            .iter()
            .map(|l| (l.product_id.to_string(), l.quantity.get()))
            .collect(),
        Cart::Unknown => panic!("no cart"),
    }
}

#[tokio::test]
async fn a_customer_fills_a_cart_and_checks_it_out() {
    let app = spawn_app().await;
    let (mug, tea) = (
        app.product("MUG-1", 1299, 5).await,
        app.product("TEA-1", 450, 5).await,
    );
    let (_, token) = app.customer("ann@example.com").await;
    let cart = app.cart(&token).await;
    let items = format!("/api/carts/{cart}/items");
    for (product, quantity) in [(&mug, 1), (&tea, 2), (&mug, 1)] {
        let answer = app
            .post(
                &items,
                Some(&token),
                json!({"product_id": product, "quantity": quantity}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        assert_eq!(answer.id(), cart);
    }
    assert_eq!(
        lines(&app, &cart).await,
        vec![(mug.clone(), 2), (tea.clone(), 2)]
    );
    let set = app
        .send(
            Method::PUT,
            &format!("{items}/{tea}"),
            Some(&token),
            Some(json!({"quantity": 3})),
            &[],
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    let checkout = app
        .post(
            &format!("/api/carts/{cart}/checkout"),
            Some(&token),
            json!({"shipping_address": address(), "payment_method": "pm_card_ok"}),
        )
        .await;
    assert_eq!(checkout.status, StatusCode::ACCEPTED, "{}", checkout.body);
    let order = checkout.body["order_id"].as_str().unwrap();
    assert_eq!(checkout.headers["location"], format!("/api/orders/{order}"));
    let events = app
        .store
        .read_stream(&format!("cart-{cart}"), 1)
        .await
        .unwrap();
    let checked_out = events.last().unwrap();
    assert_eq!(checked_out.event_type, "CartCheckedOut");
    assert_eq!(
        checked_out.payload["total"],
        json!({"amount": 2 * 1299 + 3 * 450, "currency": "EUR"})
    );
    // The answer's position is the order's placement, right after the checkout.
    let placed = app
        .store
        .read_stream(&format!("order-{order}"), 1)
        .await
        .unwrap();
    assert_eq!(placed[0].event_type, "OrderPlaced");
    assert_eq!(placed[0].metadata.causation_id, Some(checked_out.event_id));
    assert_eq!(
        placed[0].position,
        checkout.body["position"].as_u64().unwrap()
    );
    assert!(placed[0].position > checked_out.position);
    // A checked-out cart takes nothing more.
    app.refused(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::POST,
        &items,
        Some(&token),
        Some(json!({"product_id": mug, "quantity": 1})),
    )
    .await;
}

#[tokio::test]
async fn lines_are_set_to_zero_or_removed() {
    let app = spawn_app().await;
    let mug = app.product("MUG-1", 1299, 5).await;
    let (_, token) = app.customer("ann@example.com").await;
    let cart = app.cart(&token).await;
    let items = format!("/api/carts/{cart}/items");
    app.post(
        &items,
        Some(&token),
        json!({"product_id": mug, "quantity": 2}),
    )
    .await;
    let zero = app
        .send(
            Method::PUT,
            &format!("{items}/{mug}"),
            Some(&token),
            Some(json!({"quantity": 0})),
            &[],
        )
        .await;
    assert_eq!(zero.status, StatusCode::OK);
    assert!(lines(&app, &cart).await.is_empty());
    app.refused(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::DELETE,
        &format!("{items}/{mug}"),
        Some(&token),
        None,
    )
    .await;
    app.post(
        &items,
        Some(&token),
        json!({"product_id": mug, "quantity": 1}),
    )
    .await;
    let removed = app
        .send(
            Method::DELETE,
            &format!("{items}/{mug}"),
            Some(&token),
            None,
            &[],
        )
        .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    assert!(lines(&app, &cart).await.is_empty());
}

#[tokio::test]
async fn bad_items_are_refused() {
    let app = spawn_app().await;
    let mug = app.product("MUG-1", 1299, 5).await;
    let (_, token) = app.customer("ann@example.com").await;
    let cart = app.cart(&token).await;
    let items = format!("/api/carts/{cart}/items");
    for body in [
        json!({"product_id": mug, "quantity": 0}),
        json!({"product_id": mug, "quantity": -1}),
        json!({"product_id": mug, "quantity": 10_001}),
        json!({"product_id": mug, "quantity": 99_999_999_999u64}),
        json!({"product_id": mug, "quantity": "2"}),
        json!({"product_id": "not-a-uuid", "quantity": 1}),
        json!({"product_id": unknown_id(), "quantity": 1}),
        json!({"quantity": 1}),
    ] {
        app.refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            Method::POST,
            &items,
            Some(&token),
            Some(body),
        )
        .await;
    }
    app.post(
        &items,
        Some(&token),
        json!({"product_id": mug, "quantity": 10_000}),
    )
    .await;
    // The line would exceed the bound.
    app.refused(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::POST,
        &items,
        Some(&token),
        Some(json!({"product_id": mug, "quantity": 1})),
    )
    .await;
    let discontinued = app.product("OLD-1", 100, 1).await;
    app.post(
        &format!("/api/products/{discontinued}/discontinue"),
        Some(&app.admin),
        json!({"reason": "gone"}),
    )
    .await;
    app.refused(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::POST,
        &items,
        Some(&token),
        Some(json!({"product_id": discontinued, "quantity": 1})),
    )
    .await;
}

#[tokio::test]
async fn a_customer_touches_only_their_own_cart() {
    let app = spawn_app().await;
    let mug = app.product("MUG-1", 1299, 5).await;
    let (_, ann) = app.customer("ann@example.com").await;
    let (_, bob) = app.customer("bob@example.com").await;
    let cart = app.cart(&ann).await;
    let items = format!("/api/carts/{cart}/items");
    app.refused(
        StatusCode::FORBIDDEN,
        Method::POST,
        &items,
        Some(&bob),
        Some(json!({"product_id": mug, "quantity": 1})),
    )
    .await;
    app.refused(
        StatusCode::FORBIDDEN,
        Method::PUT,
        &format!("{items}/{mug}"),
        Some(&bob),
        Some(json!({"quantity": 1})),
    )
    .await;
    app.refused(
        StatusCode::FORBIDDEN,
        Method::DELETE,
        &format!("{items}/{mug}"),
        Some(&bob),
        None,
    )
    .await;
    app.refused(
        StatusCode::FORBIDDEN,
        Method::POST,
        &format!("/api/carts/{cart}/checkout"),
        Some(&bob),
        Some(json!({"shipping_address": address(), "payment_method": "pm_card_ok"})),
    )
    .await;
    // Admins shop with customer accounts; without the customer role there is no cart.
    app.refused(
        StatusCode::FORBIDDEN,
        Method::POST,
        "/api/carts",
        Some(&app.admin),
        None,
    )
    .await;
    let unknown = format!("/api/carts/{}/items", unknown_id());
    app.refused(
        StatusCode::NOT_FOUND,
        Method::POST,
        &unknown,
        Some(&ann),
        Some(json!({"product_id": mug, "quantity": 1})),
    )
    .await;
}

#[tokio::test]
async fn checkout_refuses_empty_carts_bad_addresses_and_discontinued_lines() {
    let app = spawn_app().await;
    let mug = app.product("MUG-1", 1299, 5).await;
    let (_, token) = app.customer("ann@example.com").await;
    let cart = app.cart(&token).await;
    let checkout = format!("/api/carts/{cart}/checkout");
    let body = json!({"shipping_address": address(), "payment_method": "pm_card_ok"});
    app.refused(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::POST,
        &checkout,
        Some(&token),
        Some(body.clone()),
    )
    .await;
    app.post(
        &format!("/api/carts/{cart}/items"),
        Some(&token),
        json!({"product_id": mug, "quantity": 1}),
    )
    .await;
    let mut bad = address();
    bad["postal_code"] = json!("");
    app.refused(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::POST,
        &checkout,
        Some(&token),
        Some(json!({"shipping_address": bad, "payment_method": "pm_card_ok"})),
    )
    .await;
    app.refused(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::POST,
        &checkout,
        Some(&token),
        Some(json!({"shipping_address": address(), "payment_method": "PM CARD"})),
    )
    .await;
    app.post(
        &format!("/api/products/{mug}/discontinue"),
        Some(&app.admin),
        json!({"reason": "gone"}),
    )
    .await;
    app.refused(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::POST,
        &checkout,
        Some(&token),
        Some(body),
    )
    .await;
}
