//! The audit API, read from the event log: access, the paged trail with metadata, the
//! order's state at each recorded moment, tamper evidence, and bad parameters.

mod access;
mod params;
mod replay;
mod tamper;
mod trail;

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A GET of an audit route of `order` (`events`, `state?…`, `verify`) as `token`.
pub async fn audit(shop: &Shop, order: &str, route: &str, token: Option<&str>) -> Answer {
    let path = format!("/api/audit/orders/{order}/{route}");
    shop.send(Method::GET, &path, token, None, &[]).await
}

/// Like [`audit`], answering 200.
pub async fn audit_ok(shop: &Shop, order: &str, route: &str, token: &str) -> Value {
    let answer = audit(shop, order, route, Some(token)).await;
    assert_eq!(answer.status, StatusCode::OK, "{route}: {}", answer.body);
    answer.body
}

/// A new user made auditor by the admin; returns their token once their role shows.
pub async fn auditor(shop: &Shop, email: &str) -> String {
    let (id, token) = shop.customer(email).await;
    let set = shop
        .send(
            Method::PUT,
            &format!("/api/users/{id}/roles"),
            Some(&shop.admin),
            Some(json!({"roles": ["auditor"]})),
            &[],
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    shop.eventually_that("/api/users/me", &token, |me| {
        me["roles"]
            .as_array()
            .is_some_and(|r| r.contains(&json!("auditor")))
    })
    .await;
    token
}

/// A paid order of `lines` by a new customer; returns (customer token, order id, order view).
pub async fn paid_order(
    shop: &Shop,
    email: &str,
    lines: &[(&str, u32)],
) -> (String, String, Value) {
    let (token, order) = shop.checkout(email, lines, "pm_card_ok").await;
    let view = shop.paid(&format!("/api/orders/{order}"), &token).await;
    (token, order, view.body)
}
