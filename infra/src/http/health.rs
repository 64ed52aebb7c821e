//! Liveness and readiness for every service: `GET /health/live` answers while the process
//! runs; `GET /health/ready` checks each store the process uses (and only those) and
//! answers 503 naming the ones that fail.

use crate::event_store::EventStore;
use crate::read_store::ReadStore;
use axum::extract::State;
use axum::http::StatusCode;
use axum::{Json, Router};
use futures_util::future::BoxFuture;
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

type Probe = Arc<dyn Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync>;

/// The longest a readiness probe waits for a store.
const PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// One readiness check: a name and a probe.
#[derive(Clone)]
pub struct Check {
    name: &'static str,
    probe: Probe,
}

impl Check {
    /// The event store answers (its head).
    pub fn event_store(store: Arc<dyn EventStore>) -> Self {
        Self {
            name: "event store",
            probe: Arc::new(move || {
                let store = store.clone();
                Box::pin(async move { store.head().await.map(drop).map_err(|e| e.to_string()) })
            }),
        }
    }

    /// The read store answers (a ping).
    pub fn read_store(store: Arc<dyn ReadStore>) -> Self {
        Self {
            name: "read store",
            probe: Arc::new(move || {
                let store = store.clone();
                Box::pin(async move { store.ping().await.map_err(|e| e.to_string()) })
            }),
        }
    }
}

/// A health answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` or `unavailable`.
    pub status: &'static str,
    /// What failed, when not ready.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Each store this process uses, with its status (readiness only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<CheckResult>,
}

/// The outcome of one check.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckResult {
    /// What was checked, such as `event store`.
    pub name: &'static str,
    /// `ok` or `unavailable`.
    pub status: &'static str,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// The health routes with these readiness checks, and their OpenAPI description.
pub fn router(checks: Vec<Check>) -> (Router, OpenApi) {
    let (router, openapi) = OpenApiRouter::new()
        .routes(routes!(live))
        .routes(routes!(ready))
        .split_for_parts();
    (router.with_state(Arc::new(checks)), openapi)
}

/// The process is up.
#[utoipa::path(get, path = "/health/live", tag = "operations",
    responses((status = 200, description = "The process runs", body = Health)))]
async fn live() -> Json<Health> {
    Json(Health {
        status: "ok",
        detail: None,
        checks: Vec::new(),
    })
}

/// Every store this process uses answers.
#[utoipa::path(get, path = "/health/ready", tag = "operations",
    responses(
        (status = 200, description = "Every store answers", body = Health),
        (status = 503, description = "A store does not answer", body = Health),
    ))]
async fn ready(State(checks): State<Arc<Vec<Check>>>) -> (StatusCode, Json<Health>) {
    let probes = checks.iter().map(|check| {
        let probe = (check.probe)();
        async move {
            // A store that does not answer within the probe's bound is down for readiness.
            let answered = tokio::time::timeout(PROBE_TIMEOUT, probe).await;
            (
                check.name,
                answered.unwrap_or_else(|_| Err("no answer within 2 s".into())),
            )
        }
    });
    let results = futures_util::future::join_all(probes).await;
    let failed: Vec<String> = results
        .iter()
        .filter_map(|(name, result)| result.as_ref().err().map(|e| format!("{name}: {e}")))
        .collect();
    let checks = results
        .into_iter()
        .map(|(name, result)| CheckResult {
            name,
            status: if result.is_ok() { "ok" } else { "unavailable" },
            detail: result.err(),
        })
        .collect();
    let (code, status, detail) = if failed.is_empty() {
        (StatusCode::OK, "ok", None)
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            Some(failed.join("; ")),
        )
    };
    (
        code,
        Json(Health {
            status,
            detail,
            checks,
        }),
    )
}
