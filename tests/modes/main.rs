//! The service modes as an operator runs them (the real binary, several processes on one
//! set of stores): each serves exactly its routes and documents exactly them, split modes
//! need the shared secret, and a standby projector takes over a dead one's work within the
//! lease time.

// A failed step aborts the test with its message; that is what unwrap is for here.
#![allow(clippy::unwrap_used)]

#[path = "../security/binary.rs"]
#[allow(dead_code)]
mod binary;

use binary::{Server, run};
use serde_json::json;
use std::collections::BTreeSet;
use std::path::Path;

const SECRET: (&str, &str) = (
    "ECOMMERCE_JWT_SECRET",
    "a shared secret of the whole shop, 32+",
);

/// The operations (`METHOD /path`) a process documents.
async fn documented(server: &Server) -> BTreeSet<String> {
    let (status, doc) = server
        .send(
            reqwest::Method::GET,
            "/api-docs/openapi.json",
            None,
            None,
            &[],
        )
        .await;
    assert_eq!(status, 200);
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "put", "post", "delete", "patch"] {
            if item.get(method).is_some() {
                ops.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    ops
}

fn ops(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// What every process serves.
const INFRA: [&str; 3] = ["GET /health/live", "GET /health/ready", "GET /metrics"];

fn start(dir: &Path, name: &str, mode: &[&str], envs: &[(&str, &str)]) -> Server {
    let instance = ("ECOMMERCE_INSTANCE", name);
    let mut all = vec![SECRET, instance];
    all.extend_from_slice(envs);
    Server::start_mode(dir, &dir.join(format!("{name}.log")), mode, &all)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_mode_documents_and_serves_exactly_its_routes() {
    let whole = tempfile::tempdir().unwrap();
    let all_in_one = Server::start(whole.path(), &whole.path().join("serve.log"), &[]);
    let everything = documented(&all_in_one).await;
    all_in_one.stop();

    let dir = tempfile::tempdir().unwrap();
    let commands = start(dir.path(), "c", &["commands"], &[]);
    let queries = start(dir.path(), "q", &["query"], &[]);
    let (command_ops, query_ops) = (documented(&commands).await, documented(&queries).await);
    let union: BTreeSet<_> = command_ops.union(&query_ops).cloned().collect();
    assert_eq!(
        union, everything,
        "the modes together serve what serve alone does"
    );
    let shared: BTreeSet<_> = command_ops.intersection(&query_ops).cloned().collect();
    assert_eq!(shared, ops(&INFRA));
    assert!(
        command_ops.iter().all(|op| !op.starts_with("GET /api")),
        "{command_ops:?}"
    );
    assert!(
        query_ops
            .iter()
            .all(|op| op.starts_with("GET ") || op.contains("/rebuild")),
        "{query_ops:?}"
    );
    commands.stop();
    queries.stop();

    let catalog = start(
        dir.path(),
        "c1",
        &["commands", "--domains", "products,users"],
        &[],
    );
    let mut expected = ops(&INFRA);
    expected.extend(ops(&[
        "POST /api/products",
        "PATCH /api/products/{id}",
        "PUT /api/products/{id}/price",
        "POST /api/products/{id}/stock",
        "POST /api/products/{id}/discontinue",
        "POST /api/users",
        "PATCH /api/users/me",
        "PUT /api/users/{id}/roles",
        "POST /api/users/{id}/deactivate",
        "POST /api/auth/login",
    ]));
    assert_eq!(documented(&catalog).await, expected);
    // A route of another domain is not served here.
    let (status, _) = catalog.post("/api/carts", None, json!({})).await;
    assert_eq!(status, 404);
    catalog.stop();

    let reads = start(
        dir.path(),
        "q1",
        &["query", "--models", "catalog,audit"],
        &[],
    );
    let mut expected = ops(&INFRA);
    expected.extend(ops(&[
        "GET /api/products",
        "GET /api/products/{id}",
        "GET /api/audit/orders/{id}/events",
        "GET /api/audit/orders/{id}/state",
        "GET /api/audit/orders/{id}/verify",
        "GET /api/admin/projections",
        "POST /api/admin/projections/{name}/rebuild",
    ]));
    assert_eq!(documented(&reads).await, expected);
    let (status, _) = reads
        .send(reqwest::Method::GET, "/api/orders", None, None, &[])
        .await;
    assert_eq!(status, 404);
    reads.stop();

    for (name, mode) in [("p", "projector"), ("k", "checkout")] {
        let worker = start(dir.path(), name, &[mode], &[]);
        assert_eq!(documented(&worker).await, ops(&INFRA), "{mode}");
        let (status, ready) = worker
            .send(reqwest::Method::GET, "/health/ready", None, None, &[])
            .await;
        assert_eq!(status, 200, "{ready}");
        assert_eq!(ready["checks"].as_array().unwrap().len(), 2, "{ready}");
        worker.stop();
    }
}

#[test]
fn split_modes_refuse_to_start_without_the_shared_secret() {
    let dir = tempfile::tempdir().unwrap();
    for mode in ["commands", "query", "projector", "checkout"] {
        let output = run(dir.path(), &["serve", "--addr", "127.0.0.1:0", mode], &[]);
        assert!(!output.status.success(), "{mode} started");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("ECOMMERCE_JWT_SECRET"), "{mode}: {stderr}");
    }
    let unknown = run(
        dir.path(),
        &["serve", "commands", "--domains", "products,nope"],
        &[SECRET],
    );
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("unknown domain"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standby_projector_takes_over_within_the_lease_time() {
    let dir = tempfile::tempdir().unwrap();
    let lease = [("ECOMMERCE_LEASE_TTL_SECS", "2")];
    let admin = [
        ("ECOMMERCE_ADMIN_EMAIL", "admin@example.com"),
        ("ECOMMERCE_ADMIN_PASSWORD", "the admin's password"),
    ];
    let commands = start(dir.path(), "c", &["commands"], &admin);
    // A read waits at most the lease time and a second for the position it asks.
    let query_process = start(
        dir.path(),
        "q",
        &["query"],
        &[("ECOMMERCE_MIN_POSITION_WAIT_MS", "3000")],
    );
    let mut first = start(
        dir.path(),
        "p1",
        &["projector", "--projections", "catalog"],
        &lease,
    );
    let (_, token) = commands
        .login("admin@example.com", "the admin's password")
        .await;
    let token = token.unwrap();
    let create = |sku: &str| {
        json!({"sku": sku, "name": "Mug", "category": "kitchen",
               "price": {"amount": 100, "currency": "EUR"}})
    };
    let (_, made) = commands
        .post("/api/products", Some(&token), create("ONE"))
        .await;
    let queries = &query_process;
    let read = |made: serde_json::Value| {
        let path = format!("/api/products/{}", made["id"].as_str().unwrap());
        let position = made["position"].to_string();
        async move {
            queries
                .send(
                    reqwest::Method::GET,
                    &path,
                    None,
                    None,
                    &[("X-Min-Position", position.as_str())],
                )
                .await
        }
    };
    assert_eq!(read(made).await.0, 200, "the first projector works");
    let standby = start(
        dir.path(),
        "p2",
        &["projector", "--projections", "catalog"],
        &lease,
    );
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    let (_, made) = commands
        .post("/api/products", Some(&token), create("TWO"))
        .await;
    let (status, body) = read(made).await;
    assert_eq!(status, 200, "the standby did not take over in time: {body}");
    standby.stop();
    commands.stop();
    query_process.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_process_sees_what_another_one_changed() {
    let dir = tempfile::tempdir().unwrap();
    let admin = [
        ("ECOMMERCE_ADMIN_EMAIL", "admin@example.com"),
        ("ECOMMERCE_ADMIN_PASSWORD", "the admin's password"),
        ("ECOMMERCE_AUTH_RATE_PER_ADDRESS", "0"),
    ];
    let catalog = start(
        dir.path(),
        "c1",
        &["commands", "--domains", "products,users"],
        &admin,
    );
    let shop = start(
        dir.path(),
        "c2",
        &["commands", "--domains", "carts"],
        &admin,
    );
    let (_, token) = catalog
        .login("admin@example.com", "the admin's password")
        .await;
    let token = token.unwrap();
    let body = json!({"sku": "MUG", "name": "Mug", "category": "kitchen",
                      "price": {"amount": 100, "currency": "EUR"}, "initial_stock": 50});
    let (_, made) = catalog.post("/api/products", Some(&token), body).await;
    let product = made["id"].as_str().unwrap().to_owned();
    catalog
        .register("ann@example.com", "ann's own password")
        .await;
    let (_, ann) = catalog.login("ann@example.com", "ann's own password").await;
    let ann = ann.unwrap();
    let (_, cart) = shop.post("/api/carts", Some(&ann), json!({})).await;
    let items = format!("/api/carts/{}/items", cart["id"].as_str().unwrap());
    let item = json!({"product_id": product, "quantity": 1});
    // The shop's process now holds the product in its cache.
    assert_eq!(shop.post(&items, Some(&ann), item.clone()).await.0, 200);
    let discontinue = json!({"reason": "end of line"});
    let path = format!("/api/products/{product}/discontinue");
    assert_eq!(catalog.post(&path, Some(&token), discontinue).await.0, 200);
    // The other process learns of it (SQLite wakes other processes by polling each second).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (status, body) = shop.post(&items, Some(&ann), item.clone()).await;
        if status == 422 {
            break;
        }
        assert_eq!(status, 200, "{body}");
        assert!(
            std::time::Instant::now() < deadline,
            "the carts process still sells a discontinued product"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    catalog.stop();
    shop.stop();
}
