//! `spawn_shop()` and the vocabulary of the query tests.

use command_services::checkout::provider::TestProvider;
use ecommerce::embedded::Embedded;
use infra::auth::Secret;
use infra::config::{Layer, Settings};
use infra::event_store::EventStore;
use infra::read_store::ReadStore;
use infra::read_store::sqlite::SqliteReadStore;
use infra::sqlite::Durability;
use infra::{SqliteConfig, SqliteEventStore};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;

pub const PASSWORD: &str = "correct horse battery";

pub struct Shop {
    pub base: String,
    pub provider: Arc<TestProvider>,
    pub client: reqwest::Client,
    pub events: Arc<dyn EventStore>,
    pub read: Arc<dyn ReadStore>,
    pub admin: String,
    dir: tempfile::TempDir,
    _mongo: Option<MongoDatabase>,
}

/// The read store of a test shop: `read.db` in its folder, or, when
/// `ECOMMERCE_TEST_SHOP_READ_STORE=mongodb`, a fresh database on the MongoDB server of
/// `ECOMMERCE_TEST_MONGODB_URI` (required then: CI runs the shop on both).
async fn read_store(dir: &std::path::Path) -> (Arc<dyn ReadStore>, Option<MongoDatabase>) {
    use infra::read_store::mongo::{FieldIndexes, MongoReadStore, MongoSettings};
    if std::env::var("ECOMMERCE_TEST_SHOP_READ_STORE").as_deref() != Ok("mongodb") {
        let read = SqliteReadStore::open(dir.join("read.db")).unwrap();
        return (Arc::new(read), None);
    }
    let uri = std::env::var("ECOMMERCE_TEST_MONGODB_URI")
        .expect("ECOMMERCE_TEST_SHOP_READ_STORE=mongodb needs ECOMMERCE_TEST_MONGODB_URI");
    let name = format!("shop_{}", uuid::Uuid::now_v7().simple());
    let settings = MongoSettings {
        database: Some(name.clone()),
        field_indexes: match std::env::var("ECOMMERCE_TEST_MONGODB_FIELD_ONLY_INDEXES").as_deref() {
            Ok("1") => FieldIndexes::FieldOnly,
            _ => FieldIndexes::WithId,
        },
    };
    let read = MongoReadStore::connect_with(&uri, settings).await.unwrap();
    (Arc::new(read), Some(MongoDatabase { uri, name }))
}

/// A test's MongoDB database, dropped with the shop.
pub struct MongoDatabase {
    uri: String,
    name: String,
}

impl Drop for MongoDatabase {
    fn drop(&mut self) {
        let (uri, name) = (self.uri.clone(), self.name.clone());
        // The test's runtime may be shutting down: a thread with its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let client = mongodb::Client::with_uri_str(&uri).await.ok()?;
                client.database(&name).drop().await.ok()
            })
        })
        .join();
    }
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn position(&self) -> u64 {
        self.headers["x-event-position"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap()
    }
    pub fn id(&self) -> String {
        self.body["id"].as_str().unwrap().to_owned()
    }
}

pub async fn spawn_shop() -> Shop {
    spawn_with(|_| {}).await
}

pub async fn spawn_with(adjust: impl FnOnce(&mut Layer)) -> Shop {
    let dir = tempfile::tempdir().unwrap();
    let mut layer = Layer {
        addr: Some("127.0.0.1:0".parse().unwrap()),
        data_dir: Some(dir.path().to_owned()),
        admin_email: Some("admin@example.com".into()),
        admin_password: Some(Secret::new("admin password 1")),
        durability: Some(Durability::Normal),
        payment_retry_backoff_ms: Some(10),
        // Sign-in limits are tested on their own; here every test signs in freely.
        auth_rate_per_address: Some(0),
        auth_rate_per_account: Some(0),
        login_lockout_after: Some(0),
        // Many sign-ins at once on a slow debug build: let them queue.
        password_queue: Some(10_000),
        password_queue_wait_ms: Some(60_000),
        ..Layer::default()
    };
    adjust(&mut layer);
    let settings = Settings::resolve(layer).unwrap();
    let mut config = SqliteConfig::new(dir.path().join("events.db"));
    config.durability = Durability::Normal;
    let events: Arc<dyn EventStore> =
        Arc::new(SqliteEventStore::open(config, domain::schema::Upcasters::domain()).unwrap());
    let (read, mongo) = read_store(dir.path()).await;
    let provider = Arc::new(TestProvider::default());
    let shop = Embedded::build_with(&settings, events.clone(), read.clone(), provider.clone())
        .await
        .unwrap();
    let base = format!("http://{}", shop.addr());
    tokio::spawn(shop.run(std::future::pending()));
    let mut test = Shop {
        base,
        provider,
        client: reqwest::Client::new(),
        events,
        read,
        admin: String::new(),
        dir,
        _mongo: mongo,
    };
    test.admin = test.login("admin@example.com", "admin password 1").await;
    test
}

impl Shop {
    /// The shop's data folder (`events.db`, `read.db`).
    pub fn data_dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        let (status, headers) = (response.status(), response.headers().clone());
        let body = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Answer {
        let answer = self.send(Method::POST, path, token, Some(body), &[]).await;
        assert!(
            answer.status.is_success(),
            "POST {path} → {} {}",
            answer.status,
            answer.body
        );
        answer
    }

    /// A GET that must see at least `position`.
    pub async fn get_at(&self, path: &str, token: Option<&str>, position: u64) -> Answer {
        self.send(
            Method::GET,
            path,
            token,
            None,
            &[("X-Min-Position", &position.to_string())],
        )
        .await
    }

    /// A GET that must see everything in the log now.
    pub async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        let head = self.events.head().await.unwrap();
        self.get_at(path, token, head).await
    }

    pub async fn login(&self, email: &str, password: &str) -> String {
        let answer = self
            .post(
                "/api/auth/login",
                None,
                json!({"email": email, "password": password}),
            )
            .await;
        answer.body["access_token"].as_str().unwrap().to_owned()
    }

    pub async fn customer(&self, email: &str) -> (String, String) {
        let answer = self
            .post(
                "/api/users",
                None,
                json!({"email": email, "password": PASSWORD, "name": "Ann Lee"}),
            )
            .await;
        (answer.id(), self.login(email, PASSWORD).await)
    }

    pub async fn product(&self, sku: &str, category: &str, cents: i64, stock: u32) -> String {
        self.post("/api/products", Some(&self.admin), json!({"sku": sku, "name": format!("{sku} mug"),
            "category": category, "price": {"amount": cents, "currency": "EUR"}, "initial_stock": stock}))
            .await
            .id()
    }
}

pub fn assert_problem(answer: &Answer, status: StatusCode) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(answer.headers["content-type"], "application/problem+json");
    assert_eq!(answer.body["status"], status.as_u16());
}

impl Shop {
    /// Polls `GET path` (as `token`) until `field` equals `value`; panics after 20 s.
    pub async fn eventually(&self, path: &str, token: &str, field: &str, value: &str) -> Answer {
        self.eventually_that(path, token, |body| body[field] == value)
            .await
    }

    /// Polls the order at `path` until it is paid and its shipment exists (the shipment is
    /// created just after the order is marked paid).
    pub async fn paid(&self, path: &str, token: &str) -> Answer {
        self.eventually_that(path, token, |body| {
            body["status"] == "paid" && body["shipment"]["id"].is_string()
        })
        .await
    }

    /// Polls `GET path` (as `token`) until `done` holds for the body; panics after 20 s.
    pub async fn eventually_that(
        &self,
        path: &str,
        token: &str,
        done: impl Fn(&Value) -> bool,
    ) -> Answer {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let answer = self.get(path, Some(token)).await;
            if done(&answer.body) {
                return answer;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{path}: never reached the awaited state: {}",
                answer.body
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// A customer with a cart holding `lines` (product, quantity), checked out with `method`;
    /// returns (customer token, order id).
    pub async fn checkout(
        &self,
        email: &str,
        lines: &[(&str, u32)],
        method: &str,
    ) -> (String, String) {
        let (_, token) = self.customer(email).await;
        let order = self.checkout_as(&token, lines, method).await;
        (token, order)
    }

    /// A new cart of `token`'s customer holding `lines`, checked out; returns the order id.
    pub async fn checkout_as(&self, token: &str, lines: &[(&str, u32)], method: &str) -> String {
        let cart = self
            .send(Method::POST, "/api/carts", Some(token), None, &[])
            .await
            .id();
        for (product, quantity) in lines {
            let item = json!({"product_id": product, "quantity": quantity});
            self.post(&format!("/api/carts/{cart}/items"), Some(token), item)
                .await;
        }
        let address = json!({"name": "Ann", "line1": "Main St 1", "city": "Berlin", "postal_code": "10115", "country": "DE"});
        let body = json!({"shipping_address": address, "payment_method": method});
        let order = self
            .post(&format!("/api/carts/{cart}/checkout"), Some(token), body)
            .await;
        order.body["order_id"].as_str().unwrap().to_owned()
    }

    /// The head of the log once the checkout process has handled everything in it: every
    /// command it sends in reaction to what the log holds now has been appended. The process
    /// appends its commands before it records its checkpoint, so a checkpoint at the head
    /// that stays there while the head does not move is that fact. Panics after 20 s.
    pub async fn settled(&self) -> u64 {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let head = self.events.head().await.unwrap();
            let handled = self
                .read
                .checkpoint(command_services::checkout::KEY)
                .await
                .unwrap();
            if handled >= head && self.events.head().await.unwrap() == head {
                return head;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the checkout process never caught up: {handled} of {head}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    /// A product's inventory (on hand, reserved, available) once the checkout process has
    /// sent everything the log asks of it (see [`Shop::settled`]).
    pub async fn stock(&self, product: &str) -> (u64, u64, u64) {
        let settled = self.settled().await;
        self.stock_at(product, settled).await
    }

    /// A product's inventory as of the log's head now, while the checkout process may still
    /// be working (on a payment it retries, say).
    pub async fn stock_now(&self, product: &str) -> (u64, u64, u64) {
        let head = self.events.head().await.unwrap();
        self.stock_at(product, head).await
    }

    /// A product's inventory document (admin view), reflecting at least `position`.
    async fn stock_at(&self, product: &str, position: u64) -> (u64, u64, u64) {
        let low = self
            .get_at(
                "/api/reports/inventory/low-stock?threshold=100000&limit=100",
                Some(&self.admin),
                position,
            )
            .await;
        let item = low.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == product)
            .cloned()
            .unwrap();
        (
            item["on_hand"].as_u64().unwrap(),
            item["reserved"].as_u64().unwrap(),
            item["available"].as_u64().unwrap(),
        )
    }
}
