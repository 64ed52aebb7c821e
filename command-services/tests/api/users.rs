use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn registering_answers_201_with_id_position_and_location() {
    let app = spawn_app().await;
    let answer = app
        .post(
            "/api/users",
            None,
            json!({"email": "Zoë@Example.com", "password": PASSWORD, "name": "Zoë Ørsted"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED);
    let id = answer.id();
    assert_eq!(answer.headers["location"], format!("/api/users/{id}"));
    assert_eq!(
        answer.headers["x-event-position"],
        answer.position().to_string()
    );
    assert_eq!(answer.position(), app.head().await);
    // The email was normalised: signing in with another case works.
    app.login("zoë@example.com", PASSWORD).await;
}

#[tokio::test]
async fn an_email_registers_once_whatever_its_case() {
    let app = spawn_app().await;
    app.customer("ann@example.com").await;
    let answer = app
        .refused(
            StatusCode::CONFLICT,
            Method::POST,
            "/api/users",
            None,
            Some(json!({"email": " ANN@example.com", "password": PASSWORD, "name": "Other"})),
        )
        .await;
    assert!(
        answer.body["detail"]
            .as_str()
            .unwrap()
            .contains("already registered")
    );
}

#[tokio::test]
async fn concurrent_registrations_of_one_email_let_exactly_one_win() {
    let app = spawn_app().await;
    let attempts = (0..12).map(|i| {
        let client = app.client.clone();
        let url = format!("{}/api/users", app.base);
        tokio::spawn(async move {
            client
                .post(url)
                .json(&json!({"email": "race@example.com", "password": PASSWORD, "name": format!("Racer {i}")}))
                .send()
                .await
                .unwrap()
                .status()
        })
    });
    let mut statuses = Vec::new();
    for attempt in attempts {
        statuses.push(attempt.await.unwrap());
    }
    let won = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let lost = statuses
        .iter()
        .filter(|s| **s == StatusCode::CONFLICT)
        .count();
    assert_eq!((won, lost), (1, 11), "{statuses:?}");
    let registered = app
        .store
        .read_all(0, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.event_type == "UserRegistered")
        .count();
    assert_eq!(registered, 2, "the admin and one racer");
}

#[tokio::test]
async fn invalid_registrations_name_every_bad_field() {
    let app = spawn_app().await;
    let answer = app
        .refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            Method::POST,
            "/api/users",
            None,
            Some(json!({"email": "not-an-email", "password": "short", "name": "  "})),
        )
        .await;
    let fields: Vec<_> = answer.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fields, vec!["email", "name", "password"]);
    app.refused(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::POST,
        "/api/users",
        None,
        Some(json!({"email": "a@example.com", "password": "x".repeat(129), "name": "A"})),
    )
    .await;
    app.refused(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::POST,
        "/api/users",
        None,
        Some(json!({"email": "a@example.com", "name": "A"})),
    )
    .await;
    app.refused(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::POST,
        "/api/users",
        None,
        Some(json!({"email": 7, "password": PASSWORD, "name": "A"})),
    )
    .await;
}

#[tokio::test]
async fn login_refuses_wrong_passwords_and_unknown_emails_alike() {
    let app = spawn_app().await;
    app.customer("ann@example.com").await;
    for (email, password) in [
        ("ann@example.com", "wrong password"),
        ("nobody@example.com", PASSWORD),
        ("not an email", PASSWORD),
    ] {
        let answer = app
            .refused(
                StatusCode::UNAUTHORIZED,
                Method::POST,
                "/api/auth/login",
                None,
                Some(json!({"email": email, "password": password})),
            )
            .await;
        assert_eq!(answer.body["detail"], "wrong email or password");
    }
    let token = app
        .post(
            "/api/auth/login",
            None,
            json!({"email": "ann@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(token.body["token_type"], "Bearer");
    assert_eq!(token.body["expires_in"], 3600);
}

#[tokio::test]
async fn protected_routes_need_a_valid_token() {
    let app = spawn_app().await;
    let answer = app
        .refused(
            StatusCode::UNAUTHORIZED,
            Method::POST,
            "/api/carts",
            None,
            None,
        )
        .await;
    assert_eq!(answer.headers["www-authenticate"], "Bearer");
    app.refused(
        StatusCode::UNAUTHORIZED,
        Method::POST,
        "/api/carts",
        Some("garbage"),
        None,
    )
    .await;
    let (_, token) = app.customer("ann@example.com").await;
    let forged = format!("{}x", &token[..token.len() - 1]);
    app.refused(
        StatusCode::UNAUTHORIZED,
        Method::POST,
        "/api/carts",
        Some(&forged),
        None,
    )
    .await;
}

#[tokio::test]
async fn a_user_changes_name_address_and_password() {
    let app = spawn_app().await;
    let (id, token) = app.customer("ann@example.com").await;
    let answer = app
        .send(
            Method::PATCH,
            "/api/users/me",
            Some(&token),
            Some(json!({"name": "Ann Müller", "address": address()})),
            &[],
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.id(), id);
    app.refused(
        StatusCode::FORBIDDEN,
        Method::PATCH,
        "/api/users/me",
        Some(&token),
        Some(json!({"password": {"current": "wrong one!", "new": "a new password"}})),
    )
    .await;
    let changed = app
        .send(
            Method::PATCH,
            "/api/users/me",
            Some(&token),
            Some(json!({"password": {"current": PASSWORD, "new": "a new password"}})),
            &[],
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    app.login("ann@example.com", "a new password").await;
    app.refused(
        StatusCode::UNAUTHORIZED,
        Method::POST,
        "/api/auth/login",
        None,
        Some(json!({"email": "ann@example.com", "password": PASSWORD})),
    )
    .await;
}

#[tokio::test]
async fn profile_changes_refuse_nothing_and_bad_values() {
    let app = spawn_app().await;
    let (_, token) = app.customer("ann@example.com").await;
    app.refused(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::PATCH,
        "/api/users/me",
        Some(&token),
        Some(json!({})),
    )
    .await;
    let mut bad = address();
    bad["country"] = json!("Germany");
    let answer = app
        .refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            Method::PATCH,
            "/api/users/me",
            Some(&token),
            Some(json!({"address": bad})),
        )
        .await;
    assert_eq!(answer.body["errors"][0]["field"], "address.country");
    app.refused(
        StatusCode::UNAUTHORIZED,
        Method::PATCH,
        "/api/users/me",
        None,
        Some(json!({"name": "X"})),
    )
    .await;
}

#[tokio::test]
async fn admins_set_roles_and_customers_cannot() {
    let app = spawn_app().await;
    let (id, token) = app.customer("ann@example.com").await;
    let path = format!("/api/users/{id}/roles");
    app.refused(
        StatusCode::FORBIDDEN,
        Method::PUT,
        &path,
        Some(&token),
        Some(json!({"roles": ["admin"]})),
    )
    .await;
    app.refused(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::PUT,
        &path,
        Some(&app.admin),
        Some(json!({"roles": ["root"]})),
    )
    .await;
    app.refused(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::PUT,
        &path,
        Some(&app.admin),
        Some(json!({"roles": []})),
    )
    .await;
    let unknown = format!("/api/users/{}/roles", unknown_id());
    app.refused(
        StatusCode::NOT_FOUND,
        Method::PUT,
        &unknown,
        Some(&app.admin),
        Some(json!({"roles": ["customer"]})),
    )
    .await;
    let set = app
        .send(
            Method::PUT,
            &path,
            Some(&app.admin),
            Some(json!({"roles": ["customer", "admin"]})),
            &[],
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    // The new role counts at once, with the token issued before.
    let product = app
        .post(
            "/api/products",
            Some(&token),
            json!({"sku": "X-1", "name": "X", "category": "c",
            "price": {"amount": 1, "currency": "EUR"}}),
        )
        .await;
    assert_eq!(product.status, StatusCode::CREATED, "{}", product.body);
}

#[tokio::test]
async fn an_admin_cannot_remove_their_own_admin_role_or_deactivate_themselves() {
    let app = spawn_app().await;
    let me = app
        .post(
            "/api/auth/login",
            None,
            json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}),
        )
        .await;
    assert_eq!(me.status, StatusCode::OK);
    let admin_id = app
        .store
        .read_all(0, 10)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.event_type == "UserRegistered")
        .unwrap()
        .stream
        .trim_start_matches("user-")
        .to_owned();
    app.refused(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::PUT,
        &format!("/api/users/{admin_id}/roles"),
        Some(&app.admin),
        Some(json!({"roles": ["customer"]})),
    )
    .await;
    app.refused(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::POST,
        &format!("/api/users/{admin_id}/deactivate"),
        Some(&app.admin),
        Some(json!({"reason": "oops"})),
    )
    .await;
}

#[tokio::test]
async fn a_deactivated_user_cannot_sign_in_and_their_token_stops_working() {
    let app = spawn_app().await;
    let (id, token) = app.customer("ann@example.com").await;
    let path = format!("/api/users/{id}/deactivate");
    app.refused(
        StatusCode::FORBIDDEN,
        Method::POST,
        &path,
        Some(&token),
        Some(json!({"reason": "x"})),
    )
    .await;
    app.refused(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::POST,
        &path,
        Some(&app.admin),
        Some(json!({"reason": ""})),
    )
    .await;
    let done = app
        .post(&path, Some(&app.admin), json!({"reason": "chargebacks"}))
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    app.refused(
        StatusCode::UNAUTHORIZED,
        Method::POST,
        "/api/carts",
        Some(&token),
        None,
    )
    .await;
    let answer = app
        .refused(
            StatusCode::UNAUTHORIZED,
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"email": "ann@example.com", "password": PASSWORD})),
        )
        .await;
    assert!(
        answer.body["detail"]
            .as_str()
            .unwrap()
            .contains("deactivated")
    );
    app.refused(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::POST,
        &path,
        Some(&app.admin),
        Some(json!({"reason": "again"})),
    )
    .await;
}
