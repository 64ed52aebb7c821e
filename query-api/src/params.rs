//! Query-string parameters whose rejections are problem details, and pagination.

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use infra::http::ApiError;
use infra::read_store::{Cursor, Page};
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;

/// `axum::extract::Query`, answering bad parameters with a 400 problem.
pub struct Params<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| Params(value))
            .map_err(|rejection| ApiError::Malformed(rejection.body_text()))
    }
}

/// Page size bounds.
pub const DEFAULT_LIMIT: usize = 20;
/// The largest page.
pub const MAX_LIMIT: usize = 100;

/// A checked page size.
pub fn limit(asked: Option<usize>) -> Result<usize, ApiError> {
    match asked {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::Malformed(format!(
            "limit must be 1 to {MAX_LIMIT}, not {n}"
        ))),
    }
}

/// A client's cursor.
pub fn cursor(raw: Option<&str>) -> Option<Cursor> {
    raw.filter(|c| !c.is_empty()).map(Cursor::from_client)
}

/// A page of items as the API answers it.
#[derive(Debug, Serialize, ToSchema)]
pub struct List<T> {
    /// The items.
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// Turns a read store page into typed items.
pub fn list<T: DeserializeOwned>(page: Page) -> Result<List<T>, ApiError> {
    let items = page
        .items
        .into_iter()
        .map(|item| serde_json::from_value(item).map_err(|e| ApiError::Internal(e.to_string())))
        .collect::<Result<_, _>>()?;
    Ok(List {
        items,
        next_cursor: page.next_cursor.map(|c| c.as_str().to_owned()),
    })
}

/// Reads one document as `T`, or a 404 naming `what`.
pub fn doc<T: DeserializeOwned>(
    found: Option<infra::read_store::Document>,
    what: &str,
) -> Result<T, ApiError> {
    let found = found.ok_or_else(|| ApiError::NotFound(format!("no such {what}")))?;
    serde_json::from_value(found.body).map_err(|e| ApiError::Internal(e.to_string()))
}
