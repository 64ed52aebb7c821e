//! `spawn_shop()` and the vocabulary of the query tests.

use command_services::executor::CommandMeta;
use ecommerce::embedded::Embedded;
use infra::auth::Secret;
use infra::config::{Layer, Settings};
use infra::event_store::EventStore;
use infra::read_store::sqlite::SqliteReadStore;
use infra::sqlite::Durability;
use infra::{SqliteConfig, SqliteEventStore};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;

pub const PASSWORD: &str = "correct horse battery";

pub struct Shop {
    pub base: String,
    pub client: reqwest::Client,
    pub events: Arc<dyn EventStore>,
    pub commands: command_services::AppState,
    pub admin: String,
    _dir: tempfile::TempDir,
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
        ..Layer::default()
    };
    adjust(&mut layer);
    let settings = Settings::resolve(layer).unwrap();
    let mut config = SqliteConfig::new(dir.path().join("events.db"));
    config.durability = Durability::Normal;
    let events: Arc<dyn EventStore> =
        Arc::new(SqliteEventStore::open(config, domain::schema::Upcasters::domain()).unwrap());
    let read = Arc::new(SqliteReadStore::open(dir.path().join("read.db")).unwrap());
    let shop = Embedded::build(&settings, events.clone(), read)
        .await
        .unwrap();
    let base = format!("http://{}", shop.addr());
    let commands = shop.commands().clone();
    tokio::spawn(shop.run(std::future::pending()));
    let mut test = Shop {
        base,
        client: reqwest::Client::new(),
        events,
        commands,
        admin: String::new(),
        _dir: dir,
    };
    test.admin = test.login("admin@example.com", "admin password 1").await;
    test
}

impl Shop {
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

    pub fn meta(&self) -> CommandMeta {
        CommandMeta::system("test")
    }
}

pub fn assert_problem(answer: &Answer, status: StatusCode) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(answer.headers["content-type"], "application/problem+json");
    assert_eq!(answer.body["status"], status.as_u16());
}
