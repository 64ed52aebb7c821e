//! Who may audit: auditors and admins; customers (even the order's owner) are refused.

use super::{audit, auditor, paid_order};
use crate::helpers::*;
use reqwest::{Method, StatusCode};

#[tokio::test]
async fn only_auditors_and_admins_audit_an_order() {
    let shop = spawn_shop().await;
    let mug = shop.product("MUG", "kitchen", 1000, 5).await;
    let (ann, order, _) = paid_order(&shop, "ann@example.com", &[(&mug, 1)]).await;
    let audrey = auditor(&shop, "audrey@example.com").await;
    for route in ["events", "state", "verify"] {
        assert_problem(
            &audit(&shop, &order, route, None).await,
            StatusCode::UNAUTHORIZED,
        );
        let owner = audit(&shop, &order, route, Some(&ann)).await;
        assert_problem(&owner, StatusCode::FORBIDDEN);
        for (who, token) in [("auditor", &audrey), ("admin", &shop.admin)] {
            let answer = audit(&shop, &order, route, Some(token)).await;
            assert_eq!(
                answer.status,
                StatusCode::OK,
                "{route} as {who}: {}",
                answer.body
            );
        }
    }
}

#[tokio::test]
async fn the_audit_routes_are_in_the_openapi_document() {
    let shop = spawn_shop().await;
    let doc = shop
        .send(Method::GET, "/api-docs/openapi.json", None, None, &[])
        .await;
    for route in ["events", "state", "verify"] {
        let path = format!("/api/audit/orders/{{id}}/{route}");
        let get = &doc.body["paths"][&path]["get"];
        assert!(get["responses"]["403"].is_object(), "GET {path}: {get}");
    }
    let state = &doc.body["paths"]["/api/audit/orders/{id}/state"]["get"];
    let params: Vec<&str> = state["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(params, ["id", "at", "version"]);
    assert!(state["responses"]["422"].is_object());
    for schema in ["AuditEvent", "OrderAsOf", "Verification"] {
        assert!(
            doc.body["components"]["schemas"][schema].is_object(),
            "{schema}"
        );
    }
}
