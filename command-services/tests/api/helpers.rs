//! `spawn_app()` and the small vocabulary the tests speak.

use command_services::executor::CommandMeta;
use command_services::{App, AppState};
use domain::schema::Upcasters;
use infra::auth::Secret;
use infra::config::{Layer, Settings};
use infra::event_store::EventStore;
use infra::sqlite::Durability;
use infra::{SqliteConfig, SqliteEventStore};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;
use uuid::Uuid;

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "admin password 1";
pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub store: Arc<dyn EventStore>,
    pub state: AppState,
    pub admin: String,
    _dir: tempfile::TempDir,
}

/// An answer: status, headers, JSON body (Null when empty or not JSON).
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn id(&self) -> String {
        self.body["id"].as_str().unwrap().to_owned()
    }

    pub fn position(&self) -> u64 {
        self.body["position"].as_u64().unwrap()
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_with(|_| {}).await
}

pub async fn spawn_with(adjust: impl FnOnce(&mut Layer)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut layer = Layer {
        addr: Some("127.0.0.1:0".parse().unwrap()),
        data_dir: Some(dir.path().to_owned()),
        admin_email: Some(ADMIN_EMAIL.into()),
        admin_password: Some(Secret::new(ADMIN_PASSWORD)),
        durability: Some(Durability::Normal),
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
    config.durability = settings.durability;
    let store: Arc<dyn EventStore> =
        Arc::new(SqliteEventStore::open(config, Upcasters::domain()).unwrap());
    let app = App::build(&settings, store.clone()).await.unwrap();
    let base = format!("http://{}", app.addr());
    let state = app.state().clone();
    tokio::spawn(app.run(std::future::pending()));
    let mut test = TestApp {
        base,
        client: reqwest::Client::new(),
        store,
        state,
        admin: String::new(),
        _dir: dir,
    };
    test.admin = test.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    test
}

impl TestApp {
    /// Sends a request; `body` None sends none.
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
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Answer {
        self.send(Method::POST, path, token, Some(body), &[]).await
    }

    /// Sends raw bytes with a content type.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: Vec<u8>,
    ) -> Answer {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("content-type", content_type)
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn head(&self) -> u64 {
        self.store.head().await.unwrap()
    }

    pub async fn login(&self, email: &str, password: &str) -> String {
        let answer = self
            .post(
                "/api/auth/login",
                None,
                json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        answer.body["access_token"].as_str().unwrap().to_owned()
    }

    /// Registers and signs in a customer; returns (user id, token).
    pub async fn customer(&self, email: &str) -> (String, String) {
        let answer = self
            .post(
                "/api/users",
                None,
                json!({"email": email, "password": PASSWORD, "name": "Ann Lee"}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
        (answer.id(), self.login(email, PASSWORD).await)
    }

    /// Creates a product priced in EUR cents with some stock; returns its id.
    pub async fn product(&self, sku: &str, cents: i64, stock: u32) -> String {
        let answer = self
            .post(
                "/api/products",
                Some(&self.admin),
                json!({"sku": sku, "name": "Mug", "category": "kitchen",
                       "price": {"amount": cents, "currency": "EUR"}, "initial_stock": stock}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
        answer.id()
    }

    /// Opens a cart for the customer; returns its id.
    pub async fn cart(&self, token: &str) -> String {
        let answer = self
            .send(Method::POST, "/api/carts", Some(token), None, &[])
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
        answer.id()
    }

    /// Sends a request that must be refused with `status`, as problem details, and must
    /// leave the event log as it was.
    pub async fn refused(
        &self,
        status: StatusCode,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let before = self.head().await;
        let answer = self
            .send(method.clone(), path, token, body.clone(), &[])
            .await;
        assert_eq!(
            answer.status, status,
            "{method} {path} {body:?} → {}",
            answer.body
        );
        assert_problem(&answer);
        assert_eq!(
            self.head().await,
            before,
            "a refused request changed the log"
        );
        answer
    }

    /// Runs a domain command directly, as the checkout process will (orders, payments and
    /// shipments have no creation route).
    pub fn meta(&self) -> CommandMeta {
        CommandMeta::system("test")
    }
}

pub fn assert_problem(answer: &Answer) {
    assert_eq!(
        answer.headers["content-type"], "application/problem+json",
        "{}",
        answer.body
    );
    assert_eq!(
        answer.body["status"].as_u64(),
        Some(u64::from(answer.status.as_u16()))
    );
    assert!(
        answer.body["type"]
            .as_str()
            .unwrap()
            .starts_with("urn:ecommerce:problem:")
    );
    assert!(answer.body["title"].is_string() && answer.body["detail"].is_string());
}

pub fn address() -> Value {
    json!({"name": "Ann Lee", "line1": "Main Street 1", "city": "Berlin",
           "postal_code": "10115", "country": "DE"})
}

pub fn unknown_id() -> String {
    Uuid::now_v7().to_string()
}
