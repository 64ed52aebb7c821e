//! Bad audit parameters are problems, never a 500: 400 for what does not parse (or both
//! `at` and `version`), 422 for a moment outside the order's history, 404 for no such order.

use super::{audit, audit_ok, paid_order};
use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test]
async fn bad_audit_parameters_and_unknown_orders_are_problems() {
    let shop = spawn_shop().await;
    let mug = shop.product("MUG", "kitchen", 1000, 5).await;
    let (_, order, _) = paid_order(&shop, "ann@example.com", &[(&mug, 1)]).await;
    let (_, other, _) = paid_order(&shop, "bob@example.com", &[(&mug, 1)]).await;
    let admin = Some(shop.admin.as_str());
    let elsewhere = audit_ok(&shop, &other, "events?limit=1", &shop.admin).await;
    let foreign_cursor = elsewhere["next_cursor"].as_str().unwrap();

    for route in [
        "state?version=abc".to_owned(),
        "state?version=-1".to_owned(),
        "state?at=yesterday".to_owned(),
        // An unencoded `+` arrives as a space.
        "state?at=2026-11-29T10:00:00+01:00".to_owned(),
        "state?at=2026-11-29T10:00:00Z&version=1".to_owned(),
        "events?limit=0".to_owned(),
        "events?limit=101".to_owned(),
        "events?limit=ten".to_owned(),
        "events?cursor=bm9wZQ".to_owned(),
        format!("events?cursor={foreign_cursor}"),
    ] {
        let answer = audit(&shop, &order, &route, admin).await;
        assert_problem(&answer, StatusCode::BAD_REQUEST);
        if route.contains("+01:00") {
            let detail = answer.body["detail"].as_str().unwrap();
            assert!(detail.contains("%2B"), "{detail}");
        }
    }
    for (route, field) in [
        ("state?version=0", "version"),
        ("state?version=99", "version"),
        ("state?at=2000-01-01T00:00:00Z", "at"),
    ] {
        let answer = audit(&shop, &order, route, admin).await;
        assert_problem(&answer, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(answer.body["errors"][0]["field"], field, "{route}");
    }
    // An offset, encoded, is fine; a time to come is the latest state.
    let later = audit_ok(
        &shop,
        &order,
        "state?at=2999-01-01T10:00:00%2B01:00",
        &shop.admin,
    )
    .await;
    let now = audit_ok(&shop, &order, "state", &shop.admin).await;
    assert_eq!(later["version"], now["version"]);

    let unknown = uuid::Uuid::now_v7().to_string();
    for id in [unknown.as_str(), "not-an-order"] {
        for route in ["events", "state", "verify"] {
            assert_problem(&audit(&shop, id, route, admin).await, StatusCode::NOT_FOUND);
        }
    }
}
