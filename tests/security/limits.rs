//! Limits under abuse, over HTTP: sign-in rates and lockouts, the password hashing bound,
//! clients that never finish their headers, and read-your-writes waits.

use crate::helpers::*;
use infra::event_store::{AppendRequest, EventMetadata, ExpectedVersion, NewEvent};
use reqwest::StatusCode;
use serde_json::json;
use std::io::{Read, Write};
use std::time::Duration;

fn wrong(email: &str) -> serde_json::Value {
    json!({"email": email, "password": "not the password"})
}

fn retry_after(answer: &Answer) -> u64 {
    answer.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn sign_ins_and_registrations_past_the_address_rate_answer_429() {
    let shop = spawn_with(|layer| layer.auth_rate_per_address = Some(4)).await;
    // The admin's sign-in at start counted once.
    let mut statuses = Vec::new();
    for n in 0..3 {
        let answer = shop
            .send(
                reqwest::Method::POST,
                "/api/auth/login",
                None,
                Some(wrong(&format!("u{n}@example.com"))),
                &[],
            )
            .await;
        statuses.push(answer.status);
    }
    assert_eq!(statuses, [StatusCode::UNAUTHORIZED; 3]);
    let register = json!({"email": "new@example.com", "password": PASSWORD, "name": "New"});
    let refused = shop
        .send(
            reqwest::Method::POST,
            "/api/users",
            None,
            Some(register),
            &[],
        )
        .await;
    assert_problem(&refused, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        (1..=60).contains(&retry_after(&refused)),
        "{:?}",
        refused.headers
    );
    assert_eq!(
        refused.body["type"],
        "urn:ecommerce:problem:too-many-requests"
    );
    let login = shop
        .send(
            reqwest::Method::POST,
            "/api/auth/login",
            None,
            Some(wrong("x@example.com")),
            &[],
        )
        .await;
    assert_problem(&login, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn repeated_failures_lock_an_accounts_sign_in_until_the_wait_is_over() {
    let shop = spawn_with(|layer| {
        layer.login_lockout_after = Some(2);
        layer.login_lockout_max_secs = Some(1);
    })
    .await;
    shop.customer("ann@example.com").await;
    for _ in 0..2 {
        let answer = shop
            .send(
                reqwest::Method::POST,
                "/api/auth/login",
                None,
                Some(wrong("ann@example.com")),
                &[],
            )
            .await;
        assert_problem(&answer, StatusCode::UNAUTHORIZED);
    }
    let right = json!({"email": "ann@example.com", "password": PASSWORD});
    let locked = shop
        .send(
            reqwest::Method::POST,
            "/api/auth/login",
            None,
            Some(right.clone()),
            &[],
        )
        .await;
    assert_problem(&locked, StatusCode::TOO_MANY_REQUESTS);
    let wait = retry_after(&locked);
    assert_eq!(wait, 1);
    // Another account is not locked.
    let other = shop
        .send(
            reqwest::Method::POST,
            "/api/auth/login",
            None,
            Some(wrong("bob@example.com")),
            &[],
        )
        .await;
    assert_problem(&other, StatusCode::UNAUTHORIZED);
    tokio::time::sleep(Duration::from_millis(wait * 1000 + 100)).await;
    let after = shop
        .send(
            reqwest::Method::POST,
            "/api/auth/login",
            None,
            Some(right),
            &[],
        )
        .await;
    assert_eq!(after.status, StatusCode::OK, "{}", after.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_password_hashing_pool_answers_503_with_retry_after() {
    let shop = spawn_with(|layer| {
        layer.password_hashers = Some(1);
        layer.password_queue = Some(1);
    })
    .await;
    let logins = (0..20).map(|n| {
        shop.send(
            reqwest::Method::POST,
            "/api/auth/login",
            None,
            Some(wrong(&format!("u{n}@example.com"))),
            &[],
        )
    });
    let answers = futures_util::future::join_all(logins).await;
    let busy: Vec<_> = answers
        .iter()
        .filter(|a| a.status == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert!(!busy.is_empty(), "one hasher and one place, yet no refusal");
    for answer in &answers {
        assert!(
            [StatusCode::UNAUTHORIZED, StatusCode::SERVICE_UNAVAILABLE].contains(&answer.status),
            "{} {}",
            answer.status,
            answer.body
        );
    }
    for answer in busy {
        assert_problem(answer, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(retry_after(answer), 1);
        assert_eq!(answer.body["type"], "urn:ecommerce:problem:overloaded");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let shop = spawn_with(|layer| layer.header_read_timeout_secs = Some(1)).await;
    let host = shop.base.trim_start_matches("http://").to_owned();
    let closed = tokio::task::spawn_blocking(move || {
        let mut slow = std::net::TcpStream::connect(&host).unwrap();
        slow.set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        slow.write_all(b"GET /health/live HTTP/1.1\r\nhost: x\r\nx-slow: ")
            .unwrap();
        let mut buffer = [0u8; 256];
        match slow.read(&mut buffer) {
            Ok(n) => n == 0 || String::from_utf8_lossy(&buffer[..n]).starts_with("HTTP/1.1 408"),
            Err(e) => !matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
        }
    })
    .await
    .unwrap();
    assert!(
        closed,
        "a connection with unfinished headers stayed open for 30 s"
    );
    let live = shop
        .send(reqwest::Method::GET, "/health/live", None, None, &[])
        .await;
    assert_eq!(live.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_waiting_for_a_position_are_bounded() {
    let shop = spawn_with(|layer| {
        layer.max_position_waits = Some(1);
        layer.min_position_wait_ms = Some(5000);
    })
    .await;
    // The catalog parks at an event it cannot read, so a wait for it lasts the whole bound.
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
    let position = poison.last_position;
    let (first, second) = tokio::join!(
        shop.get_at("/api/products", None, position),
        shop.get_at("/api/products", None, position)
    );
    let mut statuses = [first.status, second.status];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::SERVICE_UNAVAILABLE, StatusCode::GATEWAY_TIMEOUT],
        "one waited its 5 s, the other found no place"
    );
    let busy = if first.status == StatusCode::SERVICE_UNAVAILABLE {
        &first
    } else {
        &second
    };
    assert_problem(busy, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(retry_after(busy), 1);
}
