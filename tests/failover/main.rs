//! Restarts and failover of the real binary: leases follow the instance name, so a process
//! restarted after `kill -9` takes its own back at once.

// A failed step aborts the test with its message; that is what unwrap is for here.
#![allow(clippy::unwrap_used)]

#[path = "../security/binary.rs"]
#[allow(dead_code)]
mod binary;

use binary::Server;
use serde_json::json;

const ADMIN: [(&str, &str); 3] = [
    ("ECOMMERCE_ADMIN_EMAIL", "admin@example.com"),
    ("ECOMMERCE_ADMIN_PASSWORD", "the admin's password"),
    // A read that waits longer than this answers 504.
    ("ECOMMERCE_MIN_POSITION_WAIT_MS", "2000"),
];

/// Creates a product as the admin; returns its id and the answer's position.
async fn product(server: &Server, token: &str, sku: &str) -> (String, u64) {
    let body = json!({"sku": sku, "name": "Mug", "category": "kitchen",
                      "price": {"amount": 100, "currency": "EUR"}});
    let (status, answer) = server.post("/api/products", Some(token), body).await;
    assert_eq!(status, 201, "{answer}");
    (
        answer["id"].as_str().unwrap().to_owned(),
        answer["position"].as_u64().unwrap(),
    )
}

#[tokio::test]
async fn after_a_kill_9_restart_the_read_models_follow_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("serve.log");
    let mut server = Server::start(dir.path(), &log, &ADMIN);
    let (_, admin) = server
        .login("admin@example.com", "the admin's password")
        .await;
    let admin = admin.unwrap();
    let (id, position) = product(&server, &admin, "BEFORE").await;
    let position = position.to_string();
    let headers = [("X-Min-Position", position.as_str())];
    let path = format!("/api/products/{id}");
    let (status, _) = server
        .send(reqwest::Method::GET, &path, None, None, &headers)
        .await;
    assert_eq!(status, 200);
    // The projectors and the checkout worker hold their leases when the process dies.
    server.child.kill().unwrap();
    server.child.wait().unwrap();

    let server = Server::start(dir.path(), &log, &ADMIN);
    let (id, position) = product(&server, &admin, "AFTER").await;
    let position = position.to_string();
    let headers = [("X-Min-Position", position.as_str())];
    let (status, body) = server
        .send(
            reqwest::Method::GET,
            &format!("/api/products/{id}"),
            None,
            None,
            &headers,
        )
        .await;
    assert_eq!(
        status, 200,
        "the read model did not follow within the 2 s wait: {body}"
    );
    server.stop();
}

/// Its log on a full disk (`/dev/full`: every write fails) costs a process nothing but the
/// log: health, reads and writes still answer. (The logger used to report a failed write
/// with `eprintln!`, which panics when standard error cannot be written, in the handler.)
#[tokio::test]
async fn a_log_that_cannot_be_written_fails_no_request() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), std::path::Path::new("/dev/full"), &ADMIN);
    let (status, admin) = server
        .login("admin@example.com", "the admin's password")
        .await;
    assert_eq!(status, 200);
    let (id, position) = product(&server, &admin.unwrap(), "FULL-DISK").await;
    let position = position.to_string();
    let (status, body) = server
        .send(
            reqwest::Method::GET,
            &format!("/api/products/{id}"),
            None,
            None,
            &[("X-Min-Position", position.as_str())],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    for path in ["/health/live", "/health/ready", "/api/products?limit=5"] {
        let (status, body) = server
            .send(reqwest::Method::GET, path, None, None, &[])
            .await;
        assert_eq!(status, 200, "{path}: {body}");
    }
    server.stop();
}
