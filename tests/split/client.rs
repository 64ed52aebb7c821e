//! A client of the front door that behaves as a careful real one: every command carries an
//! `Idempotency-Key`, and an answer that says "the service behind is gone or busy" (a
//! connection error, 502, 503, 504) is retried with the same key until it is a real answer.

use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::time::{Duration, Instant};

/// An answer: status and JSON body.
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
}

/// The front door.
#[derive(Clone)]
pub struct Door {
    pub base: String,
    pub client: reqwest::Client,
}

impl Door {
    pub fn new(base: &str) -> Self {
        Self {
            base: base.to_owned(),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(40))
                .build()
                .unwrap(),
        }
    }

    /// Sends until the answer is not a gateway or availability failure; panics after 90 s.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        self.send_retrying(method, path, token, body, headers, &[502, 503, 504])
            .await
    }

    /// Sends until the answer's status is not one of `retry`; panics after 90 s.
    async fn send_retrying(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
        retry: &[u16],
    ) -> Answer {
        let deadline = Instant::now() + Duration::from_secs(90);
        let mut pause = Duration::from_millis(20);
        loop {
            let mut request = self
                .client
                .request(method.clone(), format!("{}{path}", self.base));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            if let Some(body) = body {
                request = request.json(body);
            }
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            let failure = match request.send().await {
                Ok(response) => {
                    let status = response.status();
                    if !retry.contains(&status.as_u16()) {
                        let body = response.json().await.unwrap_or(Value::Null);
                        return Answer { status, body };
                    }
                    format!("{status}")
                }
                Err(e) => e.to_string(),
            };
            assert!(
                Instant::now() < deadline,
                "{method} {path} kept failing: {failure}"
            );
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(500));
        }
    }

    /// A command with a key: it must succeed.
    pub async fn command(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
        key: &str,
    ) -> Value {
        let answer = self
            .send(method, path, Some(token), body, &[("Idempotency-Key", key)])
            .await;
        assert!(
            answer.status.is_success(),
            "{path} → {} {}",
            answer.status,
            answer.body
        );
        answer.body
    }

    /// A read at a position (read your writes): it must succeed. A 504 (the read model did
    /// not reach the position in time) is a failure, not retried: retrying would hide it.
    pub async fn read_at(&self, path: &str, token: Option<&str>, position: u64) -> Value {
        let position = position.to_string();
        let answer = self
            .send_retrying(
                Method::GET,
                path,
                token,
                None,
                &[("X-Min-Position", position.as_str())],
                &[502, 503],
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{path}: {}", answer.body);
        answer.body
    }

    /// Signs in; the token.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let body = serde_json::json!({"email": email, "password": password});
        let answer = self
            .send(Method::POST, "/api/auth/login", None, Some(&body), &[])
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        answer.body["access_token"].as_str().unwrap().to_owned()
    }
}
