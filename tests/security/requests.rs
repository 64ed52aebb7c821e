//! What single requests may and may not do: the password policy, tokens revoked by a
//! password change, the security headers, and an `Idempotency-Key` sent to another route.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn weak_passwords_are_refused_with_a_422_naming_the_field_and_nothing_is_stored() {
    let shop = spawn_shop().await;
    let head = shop.events.head().await.unwrap();
    let email = "ann.lee.shop@example.com";
    let weak = [
        " ".repeat(8),
        "\0".repeat(8),
        "correct\u{7}horse".to_owned(),
        "password1".to_owned(),
        "Qwertyuiop".to_owned(),
        "short".to_owned(),
        "xy".repeat(65),
        email.to_uppercase(),
    ];
    for password in weak {
        let body = json!({"email": email, "password": password, "name": "Ann"});
        let answer = shop
            .send(Method::POST, "/api/users", None, Some(body), &[])
            .await;
        assert_problem(&answer, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            answer.body["errors"][0]["field"], "password",
            "{password:?}"
        );
    }
    assert_eq!(
        shop.events.head().await.unwrap(),
        head,
        "nothing was appended"
    );
    let (_, ann) = shop.customer("ann@example.com").await;
    let change = json!({"password": {"current": PASSWORD, "new": "password1"}});
    let answer = shop
        .send(
            Method::PATCH,
            "/api/users/me",
            Some(&ann),
            Some(change),
            &[],
        )
        .await;
    assert_problem(&answer, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.body["errors"][0]["field"], "password.new");
}

#[tokio::test]
async fn a_password_change_revokes_the_tokens_issued_before_it() {
    let shop = spawn_shop().await;
    let (_, old) = shop.customer("ann@example.com").await;
    let change = json!({"password": {"current": PASSWORD, "new": "a brand new secret"}});
    let changed = shop
        .send(
            Method::PATCH,
            "/api/users/me",
            Some(&old),
            Some(change),
            &[],
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    let position = changed.position();
    let command = shop
        .send(Method::POST, "/api/carts", Some(&old), None, &[])
        .await;
    assert_problem(&command, StatusCode::UNAUTHORIZED);
    let query = shop.get_at("/api/users/me", Some(&old), position).await;
    assert_problem(&query, StatusCode::UNAUTHORIZED);
    let new = shop.login("ann@example.com", "a brand new secret").await;
    let cart = shop
        .send(Method::POST, "/api/carts", Some(&new), None, &[])
        .await;
    assert_eq!(cart.status, StatusCode::CREATED, "{}", cart.body);
    let me = shop.get_at("/api/users/me", Some(&new), position).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert_eq!(me.body["password_version"], 1);
}

#[tokio::test]
async fn answers_carry_the_security_headers() {
    let shop = spawn_shop().await;
    let live = shop
        .send(Method::GET, "/health/live", None, None, &[])
        .await;
    assert_eq!(live.headers["x-content-type-options"], "nosniff");
    assert_eq!(live.headers["referrer-policy"], "no-referrer");
    assert!(!live.headers.contains_key("content-security-policy"));
    let (_, ann) = shop.customer("ann@example.com").await;
    let mine = shop.get("/api/users/me", Some(&ann)).await;
    assert_eq!(mine.headers["cache-control"], "no-store");
    assert_eq!(mine.headers["x-content-type-options"], "nosniff");
    let refused = shop
        .send(Method::POST, "/api/carts", Some("not a token"), None, &[])
        .await;
    assert_eq!(refused.headers["cache-control"], "no-store");
    let docs = shop.send(Method::GET, "/api-docs/", None, None, &[]).await;
    assert_eq!(docs.status, StatusCode::OK);
    let policy = docs.headers["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(policy.contains("script-src 'self'"), "{policy}");
    assert!(!policy.contains("script-src 'self' 'unsafe"), "{policy}");
    assert_eq!(docs.headers["x-frame-options"], "DENY");
}

#[tokio::test]
async fn an_idempotency_key_sent_to_another_route_is_refused_and_appends_nothing() {
    let shop = spawn_shop().await;
    let mug = shop.product("MUG", "kitchen", 1000, 5).await;
    let (_, ann) = shop.customer("ann@example.com").await;
    let key = [("Idempotency-Key", "ann-1")];
    let opened = shop
        .send(Method::POST, "/api/carts", Some(&ann), None, &key)
        .await;
    assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.body);
    let cart = opened.id();
    let head = shop.events.head().await.unwrap();
    let item = json!({"product_id": mug, "quantity": 1});
    let reused = shop
        .send(
            Method::POST,
            &format!("/api/carts/{cart}/items"),
            Some(&ann),
            Some(item),
            &key,
        )
        .await;
    assert_problem(&reused, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        reused.body["type"],
        "urn:ecommerce:problem:idempotency-key-reused"
    );
    assert_eq!(
        shop.events.head().await.unwrap(),
        head,
        "nothing was appended"
    );
    // The first request, retried, still gets its first answer.
    let again = shop
        .send(Method::POST, "/api/carts", Some(&ann), None, &key)
        .await;
    assert_eq!((again.status, again.id()), (StatusCode::CREATED, cart));
    // Keys are the caller's own: another customer's same key is another request.
    let (_, bob) = shop.customer("bob@example.com").await;
    let bobs = shop
        .send(Method::POST, "/api/carts", Some(&bob), None, &key)
        .await;
    assert_eq!(bobs.status, StatusCode::CREATED);
    assert_ne!(bobs.id(), opened.id());
}

#[tokio::test]
async fn a_retry_that_sets_another_password_is_another_request() {
    let shop = spawn_shop().await;
    // Registration: the retry with the same password gets the first answer; with another
    // password it is refused, and the first password stays.
    let key = [("Idempotency-Key", "register-ann")];
    let body =
        |password: &str| json!({"email": "ann@example.com", "password": password, "name": "Ann"});
    let first = shop
        .send(Method::POST, "/api/users", None, Some(body(PASSWORD)), &key)
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let head = shop.events.head().await.unwrap();
    let again = shop
        .send(Method::POST, "/api/users", None, Some(body(PASSWORD)), &key)
        .await;
    assert_eq!(
        (again.status, again.id()),
        (StatusCode::CREATED, first.id())
    );
    let other = shop
        .send(
            Method::POST,
            "/api/users",
            None,
            Some(body("another good secret")),
            &key,
        )
        .await;
    assert_problem(&other, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        other.body["type"],
        "urn:ecommerce:problem:idempotency-key-reused"
    );
    assert_eq!(shop.events.head().await.unwrap(), head);
    let token = shop.login("ann@example.com", PASSWORD).await;

    // A password change: the same retry replays, another new password is refused.
    let key = [("Idempotency-Key", "change-1")];
    let change = |new: &str| json!({"password": {"current": PASSWORD, "new": new}});
    let changed = shop
        .send(
            Method::PATCH,
            "/api/users/me",
            Some(&token),
            Some(change("my new secret")),
            &key,
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    let fresh = shop.login("ann@example.com", "my new secret").await;
    let head = shop.events.head().await.unwrap();
    let retry = shop
        .send(
            Method::PATCH,
            "/api/users/me",
            Some(&fresh),
            Some(change("my new secret")),
            &key,
        )
        .await;
    assert_eq!(
        (retry.status, retry.body.clone()),
        (StatusCode::OK, changed.body.clone())
    );
    let different = shop
        .send(
            Method::PATCH,
            "/api/users/me",
            Some(&fresh),
            Some(change("yet another secret")),
            &key,
        )
        .await;
    assert_problem(&different, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        shop.events.head().await.unwrap(),
        head,
        "nothing was appended"
    );
    // The new password still opens the account (login panics otherwise).
    shop.login("ann@example.com", "my new secret").await;
}
