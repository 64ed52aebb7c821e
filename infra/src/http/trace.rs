//! Request ids and tracing: every request gets an `X-Request-Id`, keeps the client's
//! `X-Correlation-Id` (a UUID) or a new one, runs in a span carrying both, is logged with its
//! status and duration, and echoes both ids back.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;
use uuid::Uuid;

/// `X-Request-Id`: one per request, the causation id of the commands it sends.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// `X-Correlation-Id`: the client's conversation id, echoed back.
pub const CORRELATION_ID: HeaderName = HeaderName::from_static("x-correlation-id");
/// The ids the tracing middleware gave this request.
#[derive(Debug, Clone, Copy)]
pub struct RequestIds {
    /// This request.
    pub request_id: Uuid,
    /// Its conversation.
    pub correlation_id: Uuid,
}

fn header_uuid(request: &Request, name: &HeaderName) -> Option<Uuid> {
    let value = request.headers().get(name)?.to_str().ok()?;
    Uuid::parse_str(value.trim()).ok()
}

/// Gives every request its ids and a span, logs its outcome, and echoes the ids back.
pub async fn trace_request(mut request: Request, next: Next) -> Response {
    let ids = RequestIds {
        request_id: Uuid::now_v7(),
        correlation_id: header_uuid(&request, &CORRELATION_ID).unwrap_or_else(Uuid::now_v7),
    };
    request.extensions_mut().insert(ids);
    let span = tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id = %ids.request_id,
        correlation_id = %ids.correlation_id,
    );
    let started = std::time::Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    span.in_scope(|| {
        tracing::info!(
            status = response.status().as_u16(),
            millis = started.elapsed().as_millis() as u64,
            "answered"
        )
    });
    let headers = response.headers_mut();
    for (name, id) in [
        (REQUEST_ID, ids.request_id),
        (CORRELATION_ID, ids.correlation_id),
    ] {
        if let Ok(value) = HeaderValue::from_str(&id.to_string()) {
            headers.insert(name, value);
        }
    }
    response
}
