//! Limits under abuse, over HTTP: sign-in rates and lockouts, the password hashing bound,
//! clients that never finish their headers, and read-your-writes waits.

use crate::helpers::*;
use infra::event_store::{AppendRequest, EventMetadata, ExpectedVersion, NewEvent};
use reqwest::{Method, StatusCode};
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
    // Two a minute: the admin's sign-in at start and one more; a third is refused unless
    // half a minute went by, which no busy machine takes for two requests.
    let shop = spawn_with(|layer| layer.auth_rate_per_address = Some(2)).await;
    let first = shop
        .send(
            Method::POST,
            "/api/auth/login",
            None,
            Some(wrong("u@example.com")),
            &[],
        )
        .await;
    assert_problem(&first, StatusCode::UNAUTHORIZED);
    let register = json!({"email": "new@example.com", "password": PASSWORD, "name": "New"});
    let refused = shop
        .send(Method::POST, "/api/users", None, Some(register), &[])
        .await;
    assert_problem(&refused, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        (1..=30).contains(&retry_after(&refused)),
        "{:?}",
        refused.headers
    );
    assert_eq!(
        refused.body["type"],
        "urn:ecommerce:problem:too-many-requests"
    );
    let login = shop
        .send(
            Method::POST,
            "/api/auth/login",
            None,
            Some(wrong("x@example.com")),
            &[],
        )
        .await;
    assert_problem(&login, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn repeated_failures_lock_an_accounts_sign_in_for_a_doubling_time() {
    let shop = spawn_with(|layer| {
        layer.login_lockout_after = Some(1);
        layer.login_lockout_max_secs = Some(60);
    })
    .await;
    shop.customer("ann@example.com").await;
    let sign_in = |body| shop.send(Method::POST, "/api/auth/login", None, Some(body), &[]);
    // Each failure locks for twice as long as the one before; fail (waiting out each lock)
    // until a lock of at least 4 s is met, so the checks below have time to spare however
    // slowly this machine runs.
    let mut locks = Vec::new();
    let wait = loop {
        let answer = sign_in(wrong("ann@example.com")).await;
        if answer.status == StatusCode::UNAUTHORIZED {
            continue;
        }
        assert_problem(&answer, StatusCode::TOO_MANY_REQUESTS);
        let wait = retry_after(&answer);
        locks.push(wait);
        if wait >= 4 {
            break wait;
        }
        tokio::time::sleep(Duration::from_secs(wait)).await;
        assert!(locks.len() < 10, "the lock never grew: {locks:?}");
    };
    assert!(locks.windows(2).all(|w| w[1] > w[0]), "{locks:?}");
    let right = json!({"email": "ann@example.com", "password": PASSWORD});
    let locked = sign_in(right.clone()).await;
    assert_problem(&locked, StatusCode::TOO_MANY_REQUESTS);
    // Another account is not locked.
    let other = sign_in(wrong("bob@example.com")).await;
    assert_problem(&other, StatusCode::UNAUTHORIZED);
    tokio::time::sleep(Duration::from_millis(wait * 1000 + 200)).await;
    let after = sign_in(right).await;
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
            Method::POST,
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
        // Closed by the server (with an error answer or none), not by our read timeout.
        loop {
            match slow.read(&mut buffer) {
                Ok(0) => return true,
                Ok(_) => continue,
                Err(e) => {
                    return !matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    );
                }
            }
        }
    })
    .await
    .unwrap();
    assert!(
        closed,
        "a connection with unfinished headers stayed open for 30 s"
    );
    // The server still answers others. On a new connection: the shop client's pooled one sat
    // idle past the 1 s header timeout too, so the server may close it as it is reused.
    let live = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
        .get(format!("{}/health/live", shop.base))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), StatusCode::OK);
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
