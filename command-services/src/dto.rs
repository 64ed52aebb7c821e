//! Wire types shared by the routers, and the answers every command gives: the id it touched,
//! the global `position` of its last event (also in `X-Event-Position`), and `Location` for
//! creations.

use crate::error::{ApiError, FieldError};
use crate::executor::Outcome;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::values::{
    Address, AddressLine, City, CountryCode, Currency, Money, PersonName, PostalCode, ValueError,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// `X-Event-Position`.
pub const EVENT_POSITION: HeaderName = HeaderName::from_static("x-event-position");

/// Money in integer minor units.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"amount": 1999, "currency": "EUR"}))]
pub struct MoneyDto {
    /// Minor units (cents); never negative.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: String,
}

impl MoneyDto {
    /// Parses, naming `field` in errors.
    pub fn parse(&self, field: &str) -> Result<Money, ApiError> {
        let currency = Currency::parse(&self.currency)
            .map_err(|e| ApiError::field(format!("{field}.currency"), e.to_string()))?;
        Money::new(self.amount, currency)
            .map_err(|e| ApiError::field(format!("{field}.amount"), e.to_string()))
    }
}

/// A postal address.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AddressDto {
    /// Recipient.
    pub name: String,
    /// Street and number.
    pub line1: String,
    /// Optional second line.
    #[serde(default)]
    pub line2: Option<String>,
    /// City.
    pub city: String,
    /// Postal code.
    pub postal_code: String,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
}

impl AddressDto {
    /// Parses every part, reporting each invalid one under `field`.
    pub fn parse(&self, field: &str) -> Result<Address, ApiError> {
        let mut errors = Fields::new(field);
        let address = (
            errors.check("name", PersonName::parse(&self.name)),
            errors.check("line1", AddressLine::parse(&self.line1)),
            self.line2
                .as_deref()
                .filter(|l| !l.trim().is_empty())
                .map(|l| errors.check("line2", AddressLine::parse(l))),
            errors.check("city", City::parse(&self.city)),
            errors.check("postal_code", PostalCode::parse(&self.postal_code)),
            errors.check("country", CountryCode::parse(&self.country)),
        );
        errors.finish()?;
        match address {
            (Some(name), Some(line1), line2, Some(city), Some(postal_code), Some(country)) => {
                Ok(Address {
                    name,
                    line1,
                    line2: line2.flatten(),
                    city,
                    postal_code,
                    country,
                })
            }
            _ => Err(ApiError::Internal(
                "address parts missing after checks".into(),
            )),
        }
    }
}

/// Collects field errors so a client sees all of them at once.
pub struct Fields {
    prefix: String,
    errors: Vec<FieldError>,
}

impl Fields {
    /// Errors under `prefix` (empty: top level).
    pub fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_owned(),
            errors: Vec::new(),
        }
    }

    /// Keeps the value, or records why `field` is invalid.
    pub fn check<T>(&mut self, field: &str, parsed: Result<T, ValueError>) -> Option<T> {
        parsed
            .map_err(|e| {
                let field = if self.prefix.is_empty() {
                    field.to_owned()
                } else {
                    format!("{}.{field}", self.prefix)
                };
                self.errors.push(FieldError {
                    field,
                    message: e.to_string(),
                });
            })
            .ok()
    }

    /// Keeps the value, or records the field errors of an [`ApiError::Invalid`].
    pub fn take<T>(&mut self, parsed: Result<T, ApiError>) -> Result<Option<T>, ApiError> {
        match parsed {
            Ok(value) => Ok(Some(value)),
            Err(ApiError::Invalid(errors)) => {
                self.errors.extend(errors);
                Ok(None)
            }
            Err(other) => Err(other),
        }
    }

    /// `Err` with every recorded error, if any.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Invalid(self.errors))
        }
    }
}

/// What a command answers.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CommandAnswer {
    /// The id of what the command created or touched.
    pub id: Uuid,
    /// The global log position of the command's last event.
    pub position: u64,
}

/// What a checkout answers.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CheckoutAnswer {
    /// The order being placed.
    pub order_id: Uuid,
    /// A global log position at which the order exists: send it as `X-Min-Position` to read
    /// `GET /api/orders/{id}` at once.
    pub position: u64,
}

fn answer(
    status: StatusCode,
    location: Option<String>,
    body: impl Serialize,
    position: u64,
) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(EVENT_POSITION, HeaderValue::from(position));
    if let Some(location) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        headers.insert(header::LOCATION, location);
    }
    response
}

/// 201 with `Location: {collection}/{id}`.
pub fn created(collection: &str, id: Uuid, outcome: Outcome) -> Response {
    let body = CommandAnswer {
        id,
        position: outcome.position,
    };
    answer(
        StatusCode::CREATED,
        Some(format!("{collection}/{id}")),
        body,
        outcome.position,
    )
}

/// 200 for a change.
pub fn changed(id: Uuid, outcome: Outcome) -> Response {
    let body = CommandAnswer {
        id,
        position: outcome.position,
    };
    answer(StatusCode::OK, None, body, outcome.position)
}

/// 202 for a change whose consequences follow asynchronously.
pub fn accepted(id: Uuid, outcome: Outcome) -> Response {
    let body = CommandAnswer {
        id,
        position: outcome.position,
    };
    answer(StatusCode::ACCEPTED, None, body, outcome.position)
}

/// 202 with the order a checkout placed.
pub fn checked_out(order_id: Uuid, outcome: Outcome) -> Response {
    let body = CheckoutAnswer {
        order_id,
        position: outcome.position,
    };
    answer(
        StatusCode::ACCEPTED,
        Some(format!("/api/orders/{order_id}")),
        body,
        outcome.position,
    )
}

/// Parses a path id; anything that is not a UUID names nothing (404).
pub fn path_id<T: From<Uuid>>(raw: &str, what: &str) -> Result<T, ApiError> {
    Uuid::parse_str(raw)
        .map(T::from)
        .map_err(|_| ApiError::NotFound(format!("no {what} {raw}")))
}
