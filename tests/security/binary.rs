//! Running the `ecommerce` binary: commands on a data folder, and `serve` as a child process
//! whose logs go to a file; and `psql`, for the PostgreSQL databases such runs use.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

/// `ecommerce` on `data_dir`, on the embedded stores, with no admin or secret from the
/// environment of the test run.
pub fn ecommerce(data_dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ecommerce"));
    command
        .env("ECOMMERCE_DATA_DIR", data_dir)
        .env_remove("ECOMMERCE_EVENT_STORE")
        .env_remove("ECOMMERCE_READ_STORE")
        .env_remove("ECOMMERCE_ADMIN_PASSWORD")
        .env_remove("ECOMMERCE_ADMIN_EMAIL")
        .env_remove("ECOMMERCE_JWT_SECRET")
        .env("ECOMMERCE_DURABILITY", "normal");
    command
}

/// Runs `ecommerce ARGS` with `envs`.
pub fn run(data_dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Output {
    ecommerce(data_dir)
        .args(args)
        .envs(envs.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Runs one SQL statement with `psql` on the server at `url`; false when it failed.
#[allow(dead_code)] // for tests/split and the benches, not tests/security
pub fn psql(url: &str, sql: &str) -> bool {
    Command::new("psql")
        .args([url, "-q", "-c", sql])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// A running `ecommerce serve`.
pub struct Server {
    pub child: Child,
    pub base: String,
    pub client: reqwest::Client,
}

/// A server a test forgot (or a failed test left) is killed, never left running.
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts `serve` on a free port with `envs`; its standard error goes to `log`.
    pub fn start(data_dir: &Path, log: &Path, envs: &[(&str, &str)]) -> Server {
        Self::start_mode(data_dir, log, &[], envs)
    }

    /// Starts `serve MODE...` (such as `["query", "--models", "catalog"]`) on a free port.
    pub fn start_mode(data_dir: &Path, log: &Path, mode: &[&str], envs: &[(&str, &str)]) -> Server {
        let mut command = ecommerce(data_dir);
        command.arg("serve");
        if !mode.contains(&"--addr") {
            command.args(["--addr", "127.0.0.1:0"]);
        }
        let mut child = command
            .args(mode)
            .envs(envs.iter().copied())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        Server {
            child,
            base,
            client: reqwest::Client::new(),
        }
    }

    /// Stops it with SIGTERM and waits for it; it must exit cleanly.
    pub fn stop(mut self) {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(self.child.wait().unwrap().success());
    }

    /// POSTs JSON; returns the status and the JSON body (Null when none).
    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, token, Some(body), &[])
            .await
    }

    /// Sends a request with `headers`; returns the status and the JSON body.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
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
        let status = response.status().as_u16();
        let body = response.json().await.unwrap_or(Value::Null);
        (status, body)
    }

    /// Registers a customer; returns their id.
    pub async fn register(&self, email: &str, password: &str) -> String {
        let body = json!({"email": email, "password": password, "name": "Someone"});
        let (status, answer) = self.post("/api/users", None, body).await;
        assert_eq!(status, 201, "{answer}");
        answer["id"].as_str().unwrap().to_owned()
    }

    /// Signs in: the status, and the token when it succeeded.
    pub async fn login(&self, email: &str, password: &str) -> (u16, Option<String>) {
        let body = json!({"email": email, "password": password});
        let (status, answer) = self.post("/api/auth/login", None, body).await;
        (status, answer["access_token"].as_str().map(str::to_owned))
    }

    /// The status of an admin-only command (creating a product) sent with `token`.
    pub async fn admin_status(&self, token: &str) -> u16 {
        let sku = format!("SKU-{}", uuid::Uuid::now_v7().simple());
        let product = json!({"sku": sku, "name": "Mug", "category": "kitchen",
                             "price": {"amount": 100, "currency": "EUR"}});
        self.post("/api/products", Some(token), product).await.0
    }
}
