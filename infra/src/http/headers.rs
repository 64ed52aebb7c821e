//! Security headers on every answer:
//!
//! - `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer` everywhere;
//! - `Cache-Control: no-store` on answers to requests that carry credentials and on the
//!   sign-in routes' answers (which carry a token), so that no shared or browser cache keeps
//!   a customer's data;
//! - on the Swagger UI (`/api-docs`), a `Content-Security-Policy` that allows only the
//!   page's own assets (served from the binary), and framing by nobody
//!   (`frame-ancestors 'none'`, `X-Frame-Options: DENY`).

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// The Swagger UI's policy: its scripts, styles and images come from the binary; it fetches
/// the OpenAPI document and calls the API on this origin only. Swagger UI sets inline
/// styles, hence `'unsafe-inline'` for styles (never for scripts).
const DOCS_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// Adds the security headers to an answer.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let docs = request.uri().path().starts_with("/api-docs");
    let credentials = request.headers().contains_key(header::AUTHORIZATION)
        || request.uri().path().starts_with("/api/auth/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if credentials {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if docs {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DOCS_POLICY),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    response
}
