//! Orders, payments and shipments have no creation route (the checkout process creates them),
//! so these tests put them in place with domain commands, then drive the routes.

use crate::helpers::*;
use domain::order::{OrderCommand, OrderStatus};
use domain::payment::{PaymentCommand, PaymentStatus};
use domain::shipment::{ShipmentCommand, ShipmentStatus};
use domain::values::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use uuid::Uuid;

fn eur(cents: i64) -> Money {
    Money::new(cents, Currency::parse("EUR").unwrap()).unwrap()
}

fn parsed_address() -> Address {
    serde_json::from_value(address()).unwrap()
}

/// An order of one line for `customer`; returns its id.
async fn order(app: &TestApp, customer: &str) -> String {
    let id = Uuid::now_v7();
    let line = OrderLine::price(
        ProductId::from_uuid(Uuid::now_v7()),
        Quantity::new(2).unwrap(),
        eur(1000),
    )
    .unwrap();
    let command = OrderCommand::Place {
        order_id: OrderId::from_uuid(id),
        customer: customer.parse().unwrap(),
        cart_id: None,
        lines: vec![line],
        shipping_address: parsed_address(),
        payment_method: PaymentMethod::parse("pm_card_ok").unwrap(),
        placed_at: chrono::Utc::now(),
    };
    app.state
        .orders
        .execute(&app.meta(), &id.to_string(), command)
        .await
        .unwrap();
    id.to_string()
}

async fn order_status(app: &TestApp, id: &str) -> OrderStatus {
    app.state
        .orders
        .load(id)
        .await
        .unwrap()
        .aggregate
        .state()
        .unwrap()
        .status
}

/// A payment of 20 EUR, captured; returns its id.
async fn captured_payment(app: &TestApp, order: &str) -> String {
    let id = Uuid::now_v7().to_string();
    for command in [
        PaymentCommand::Request {
            payment_id: id.parse().unwrap(),
            order_id: order.parse().unwrap(),
            amount: eur(2000),
            method: PaymentMethod::parse("pm_card_ok").unwrap(),
        },
        PaymentCommand::Authorize {
            provider_reference: ProviderReference::parse("auth-1").unwrap(),
        },
        PaymentCommand::Capture {},
    ] {
        app.state
            .payments
            .execute(&app.meta(), &id, command)
            .await
            .unwrap();
    }
    id
}

async fn shipment(app: &TestApp, order: &str) -> String {
    let id = Uuid::now_v7().to_string();
    let command = ShipmentCommand::Create {
        shipment_id: id.parse().unwrap(),
        order_id: order.parse().unwrap(),
        address: parsed_address(),
    };
    app.state
        .shipments
        .execute(&app.meta(), &id, command)
        .await
        .unwrap();
    id
}

#[tokio::test]
async fn an_owner_cancels_their_order_and_another_customer_cannot() {
    let app = spawn_app().await;
    let (ann_id, ann) = app.customer("ann@example.com").await;
    let (_, bob) = app.customer("bob@example.com").await;
    let id = order(&app, &ann_id).await;
    let path = format!("/api/orders/{id}/cancel");
    app.refused(
        StatusCode::FORBIDDEN,
        Method::POST,
        &path,
        Some(&bob),
        Some(json!({"reason": "mine now"})),
    )
    .await;
    app.refused(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::POST,
        &path,
        Some(&ann),
        Some(json!({"reason": ""})),
    )
    .await;
    let answer = app
        .post(&path, Some(&ann), json!({"reason": "changed my mind"}))
        .await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.body);
    assert_eq!(order_status(&app, &id).await, OrderStatus::Cancelled);
    let unknown = format!("/api/orders/{}/cancel", unknown_id());
    app.refused(
        StatusCode::NOT_FOUND,
        Method::POST,
        &unknown,
        Some(&ann),
        Some(json!({"reason": "x"})),
    )
    .await;
}

#[tokio::test]
async fn an_admin_cancels_any_order_until_delivery_an_owner_until_shipping() {
    let app = spawn_app().await;
    let (ann_id, ann) = app.customer("ann@example.com").await;
    let id = order(&app, &ann_id).await;
    let answer = app
        .post(
            &format!("/api/orders/{id}/cancel"),
            Some(&app.admin),
            json!({"reason": "fraud check"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.body);
    let shipped = order(&app, &ann_id).await;
    let delivered = order(&app, &ann_id).await;
    for (order, last) in [
        (&shipped, None),
        (&delivered, Some(OrderCommand::MarkDelivered {})),
    ] {
        let payment: PaymentId = Uuid::now_v7().into();
        let steps = [
            OrderCommand::MarkStockReserved {},
            OrderCommand::AuthorizePayment {
                payment_id: payment,
            },
            OrderCommand::MarkPaid {
                payment_id: payment,
            },
            OrderCommand::MarkShipped {
                shipment_id: Uuid::now_v7().into(),
            },
        ];
        for command in steps.into_iter().chain(last) {
            app.state
                .orders
                .execute(&app.meta(), order, command)
                .await
                .unwrap();
        }
    }
    let too_late = Some(json!({"reason": "too late"}));
    let cancel = |order: &str| format!("/api/orders/{order}/cancel");
    app.refused(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::POST,
        &cancel(&shipped),
        Some(&ann),
        too_late.clone(),
    )
    .await;
    app.refused(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::POST,
        &cancel(&delivered),
        Some(&app.admin),
        too_late.clone(),
    )
    .await;
    let answer = app
        .post(
            &cancel(&shipped),
            Some(&app.admin),
            json!({"reason": "lost parcel"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.body);
}

#[tokio::test]
async fn an_admin_refunds_part_then_the_rest_and_never_more() {
    let app = spawn_app().await;
    let (ann_id, ann) = app.customer("ann@example.com").await;
    let payment = captured_payment(&app, &order(&app, &ann_id).await).await;
    let path = format!("/api/payments/{payment}/refund");
    app.refused(
        StatusCode::FORBIDDEN,
        Method::POST,
        &path,
        Some(&ann),
        Some(json!({"reason": "x"})),
    )
    .await;
    let part = app
        .post(
            &path,
            Some(&app.admin),
            json!({"amount": {"amount": 500, "currency": "EUR"}, "reason": "scratched"}),
        )
        .await;
    assert_eq!(part.status, StatusCode::OK, "{}", part.body);
    app.refused(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::POST,
        &path,
        Some(&app.admin),
        Some(json!({"amount": {"amount": 1501, "currency": "EUR"}, "reason": "too much"})),
    )
    .await;
    app.refused(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::POST,
        &path,
        Some(&app.admin),
        Some(json!({"amount": {"amount": 100, "currency": "USD"}, "reason": "wrong money"})),
    )
    .await;
    let rest = app
        .post(&path, Some(&app.admin), json!({"reason": "returned"}))
        .await;
    assert_eq!(rest.status, StatusCode::OK, "{}", rest.body);
    let state = app.state.payments.load(&payment).await.unwrap().aggregate;
    let state = state.state().unwrap();
    assert_eq!(
        (state.status, state.refunded.amount()),
        (PaymentStatus::Refunded, 2000)
    );
    let unknown = format!("/api/payments/{}/refund", unknown_id());
    app.refused(
        StatusCode::NOT_FOUND,
        Method::POST,
        &unknown,
        Some(&app.admin),
        Some(json!({"reason": "x"})),
    )
    .await;
}

#[tokio::test]
async fn an_admin_dispatches_and_delivers_a_shipment() {
    let app = spawn_app().await;
    let (ann_id, ann) = app.customer("ann@example.com").await;
    let id = shipment(&app, &order(&app, &ann_id).await).await;
    let dispatch = format!("/api/shipments/{id}/dispatch");
    let deliver = format!("/api/shipments/{id}/deliver");
    app.refused(
        StatusCode::FORBIDDEN,
        Method::POST,
        &dispatch,
        Some(&ann),
        Some(json!({"carrier": "DHL", "tracking_number": "1"})),
    )
    .await;
    app.refused(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::POST,
        &deliver,
        Some(&app.admin),
        Some(json!({})),
    )
    .await;
    app.refused(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::POST,
        &dispatch,
        Some(&app.admin),
        Some(json!({"carrier": "", "tracking_number": "1 2"})),
    )
    .await;
    let answer = app
        .post(
            &dispatch,
            Some(&app.admin),
            json!({"carrier": "DHL", "tracking_number": "JD0146"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    app.refused(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::POST,
        &deliver,
        Some(&app.admin),
        Some(json!({"outcome": "failed"})),
    )
    .await;
    app.refused(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::POST,
        &deliver,
        Some(&app.admin),
        Some(json!({"outcome": "lost"})),
    )
    .await;
    let failed = app
        .post(
            &deliver,
            Some(&app.admin),
            json!({"outcome": "failed", "reason": "nobody home"}),
        )
        .await;
    assert_eq!(failed.status, StatusCode::OK, "{}", failed.body);
    app.post(
        &dispatch,
        Some(&app.admin),
        json!({"carrier": "DHL", "tracking_number": "JD0147"}),
    )
    .await;
    // A bare POST (no body, no content type) reads as `{}`: delivered.
    let delivered = app
        .send(Method::POST, &deliver, Some(&app.admin), None, &[])
        .await;
    assert_eq!(delivered.status, StatusCode::OK, "{}", delivered.body);
    let state = app.state.shipments.load(&id).await.unwrap().aggregate;
    assert_eq!(state.state().unwrap().status, ShipmentStatus::Delivered);
}
