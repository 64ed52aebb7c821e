//! Projection operations over HTTP: status for admins only, and a blue/green rebuild while
//! queries keep answering.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

fn catalog(status: &Value) -> Value {
    status["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "catalog")
        .cloned()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_rebuild_the_catalog_while_queries_keep_answering() {
    let shop = spawn_shop().await;
    let mut ids = Vec::new();
    for i in 0..30 {
        ids.push(
            shop.product(&format!("SKU-{i}"), "kitchen", 100 + i, 5)
                .await,
        );
    }
    let (_, ann) = shop.customer("ann@example.com").await;
    let path = "/api/admin/projections";
    assert_problem(&shop.get(path, Some(&ann)).await, StatusCode::FORBIDDEN);
    assert_problem(&shop.get(path, None).await, StatusCode::UNAUTHORIZED);
    let status = shop
        .eventually_that(path, &shop.admin, |s| {
            let c = catalog(s);
            c["state"] == "running" && c["lag_events"] == 0
        })
        .await;
    assert_eq!(status.body["items"].as_array().unwrap().len(), 8);
    assert_eq!(catalog(&status.body)["version"], 1);
    let rebuild = |name: &str| format!("/api/admin/projections/{name}/rebuild");
    let unknown = shop
        .send(Method::POST, &rebuild("nope"), Some(&shop.admin), None, &[])
        .await;
    assert_problem(&unknown, StatusCode::NOT_FOUND);
    let refused = shop
        .send(Method::POST, &rebuild("catalog"), Some(&ann), None, &[])
        .await;
    assert_problem(&refused, StatusCode::FORBIDDEN);
    let before = shop.get("/api/products?limit=100", None).await.body;
    assert_eq!(before["items"].as_array().unwrap().len(), 30);

    // Readers query all along; each answer must be whole.
    let done = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicUsize::new(0));
    let reader = {
        let (client, base, done, reads) = (
            shop.client.clone(),
            shop.base.clone(),
            done.clone(),
            reads.clone(),
        );
        let one = format!("{}/api/products/{}", shop.base, ids[0]);
        tokio::spawn(async move {
            while !done.load(Ordering::SeqCst) {
                let list = client.get(format!("{base}/api/products?limit=100")).send();
                let list = list.await.unwrap();
                assert_eq!(list.status(), StatusCode::OK);
                let body: Value = list.json().await.unwrap();
                assert_eq!(body["items"].as_array().unwrap().len(), 30, "{body}");
                assert_eq!(client.get(&one).send().await.unwrap().status(), 200);
                reads.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    let started = shop
        .send(
            Method::POST,
            &rebuild("catalog"),
            Some(&shop.admin),
            None,
            &[],
        )
        .await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.body);
    assert_eq!(
        (started.body["from"].clone(), started.body["to"].clone()),
        (json!(1), json!(2))
    );
    shop.eventually_that(path, &shop.admin, |s| {
        let c = catalog(s);
        c["version"] == 2 && c["state"] == "running" && c["lag_events"] == 0
    })
    .await;
    // At least one whole read after the switch, however slowly the reader runs.
    let switched = reads.load(Ordering::SeqCst);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while reads.load(Ordering::SeqCst) <= switched {
        assert!(
            std::time::Instant::now() < deadline,
            "the reader never read"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    done.store(true, Ordering::SeqCst);
    reader.await.unwrap();
    let after = shop.get("/api/products?limit=100", None).await.body;
    assert_eq!(after, before, "version 2 shows what version 1 showed");
    // New writes land in version 2 and are read back at their position.
    let id = shop.product("SKU-NEW", "kitchen", 999, 1).await;
    let fresh = shop.get(&format!("/api/products/{id}"), None).await;
    assert_eq!(fresh.status, StatusCode::OK, "{}", fresh.body);
}
