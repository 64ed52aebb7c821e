//! The HTTP side of the metrics: a middleware that counts and times every request under its
//! matched route template, and `GET /metrics`, the scrape in Prometheus (or, when asked for,
//! OpenMetrics) text.

use super::ApiError;
use crate::metrics::{self, Format, UNMATCHED_ROUTE};
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Instant;

/// Records the request in [`metrics::global`]: its method, the route template it matched
/// (`/api/orders/{id}`, never the raw path, so ids do not become series; requests that
/// matched no route are counted as `unmatched`), its status and how long it took.
///
/// Runs inside the router's layers, where the matched route is known.
pub async fn record_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let route = request.extensions().get::<MatchedPath>().cloned();
    let started = Instant::now();
    let response = next.run(request).await;
    metrics::global().http_request(
        method.as_str(),
        route.as_ref().map_or(UNMATCHED_ROUTE, MatchedPath::as_str),
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

/// The process's metrics (no auth: figures only, no ids or secrets).
#[utoipa::path(get, path = "/metrics", tag = "operations",
    description = "Prometheus text: HTTP requests by route template and status with their \
                   latency, commands by aggregate, command and outcome, event store append \
                   latency and batch sizes, and each projection's position, lag and parked \
                   state. Answers OpenMetrics 1.0 text when `Accept` asks for \
                   `application/openmetrics-text`.",
    responses((status = 200, description = "The metric families", body = String,
        content_type = "text/plain; version=0.0.4; charset=utf-8")))]
pub async fn scrape(headers: HeaderMap) -> Response {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok());
    let format = Format::from_accept(accept);
    match metrics::global().encode(format) {
        Ok(text) => ([(header::CONTENT_TYPE, format.content_type())], text).into_response(),
        Err(e) => ApiError::Internal(format!("cannot encode the metrics: {e}")).into_response(),
    }
}

/// The OpenAPI description of `/metrics`, merged into every service's document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(scrape))]
pub(super) struct MetricsDoc;

#[cfg(test)]
mod tests {
    use super::super::{Limits, finish, openapi_base};
    use axum::Router;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::routing::get;
    use std::time::Duration;
    use tower::ServiceExt;

    async fn call(router: &Router, uri: &str) -> (StatusCode, String) {
        let response = router
            .clone()
            .oneshot(Request::get(uri).body(Body::empty()).expect("a request"))
            .await
            .expect("an answer");
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("a body");
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    fn count(scrape: &str, series: &str) -> u64 {
        scrape
            .lines()
            .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
            .unwrap_or(0)
    }

    #[tokio::test]
    async fn a_path_with_an_id_is_counted_under_its_route_template() {
        // A template of its own: the registry is process-wide, shared with other tests.
        let routes = Router::new().route("/api/route-label-test/{id}", get(|| async { "ok" }));
        let limits = Limits {
            body: 1024,
            timeout: Duration::from_secs(5),
        };
        let router = finish(routes, openapi_base(), limits);
        let templated = "ecommerce_http_requests_total{method=\"GET\",\
                         route=\"/api/route-label-test/{id}\",status=\"200\"}";
        let unmatched = "ecommerce_http_requests_total{method=\"GET\",\
                         route=\"unmatched\",status=\"404\"}";
        let (_, before) = call(&router, "/metrics").await;

        for id in ["0193a6f2-1111-7000-8000-000000000001", "42"] {
            let (status, _) = call(&router, &format!("/api/route-label-test/{id}")).await;
            assert_eq!(status, StatusCode::OK);
        }
        let (status, _) = call(&router, "/api/route-label-test/42/nothing-here").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, after) = call(&router, "/metrics").await;

        assert_eq!(status, StatusCode::OK);
        assert_eq!(count(&after, templated) - count(&before, templated), 2);
        assert!(count(&after, unmatched) > count(&before, unmatched));
        assert!(
            !after.contains("0193a6f2") && !after.contains("/42"),
            "a raw path became a label:\n{after}"
        );
    }
}
