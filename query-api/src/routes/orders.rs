//! Orders: a customer's own orders, all orders for admins, one order with its payment and
//! shipment, and an order's shipment.

use crate::caller::Caller;
use crate::consistency::MinPosition;
use crate::params::{List, Params, cursor, doc, limit, list};
use crate::state::QueryState;
use axum::Json;
use axum::extract::State;
use chrono::{Days, NaiveDate};
use infra::http::{ApiError, ApiPath, Problem};
use infra::read_store::{Filter, Op, Query, Sort};
use projections::models::orders::{ORDERS, OrderDoc, Orders};
use projections::models::payments::{PAYMENTS, PaymentDoc, Payments};
use projections::models::shipments::{SHIPMENTS, ShipmentDoc, Shipments};
use projections::runtime::Projection;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The orders router.
pub fn router() -> OpenApiRouter<QueryState> {
    OpenApiRouter::new()
        .routes(routes!(list_orders))
        .routes(routes!(get_order))
        .routes(routes!(get_order_shipment))
}

const STATUSES: &[&str] = &[
    "placed",
    "stock_reserved",
    "payment_authorized",
    "paid",
    "shipped",
    "delivered",
    "rejected",
    "cancelled",
];

/// The projections a view of an order reads: the orders model (for ownership) and `also`.
/// Only those are waited for, so a stalled model holds up only the routes that read it.
pub fn keys(state: &QueryState, also: &[&dyn Projection]) -> Vec<String> {
    let versions = &state.versions;
    std::iter::once(versions.key(&Orders))
        .chain(also.iter().map(|p| versions.key(*p)))
        .collect()
}

/// An order the caller may see, or 404 / 403.
pub async fn visible_order(
    state: &QueryState,
    caller: &Caller,
    id: &str,
) -> Result<OrderDoc, ApiError> {
    let orders = state.versions.collection(&Orders, ORDERS);
    let order: OrderDoc = doc(state.read.get(&orders, id).await?, "order")?;
    caller.owner_or_admin(&order.customer)?;
    Ok(order)
}

/// The most recent document of `collection` for an order.
async fn latest<T: serde::de::DeserializeOwned>(
    state: &QueryState,
    collection: String,
    order: &str,
) -> Result<Option<T>, ApiError> {
    let query = Query {
        filters: vec![Filter::new("order_id", Op::Eq, order)],
        sort: vec![Sort::desc("created_at")],
        ..Query::all(&collection, 1)
    };
    let page = state.read.query(&query).await?;
    page.items
        .into_iter()
        .next()
        .map(|item| serde_json::from_value(item).map_err(|e| ApiError::Internal(e.to_string())))
        .transpose()
}

/// A payment or shipment as an order shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct StateOf {
    /// Its id.
    pub id: String,
    /// Its status word.
    pub status: String,
}

/// An order with its payment and shipment states.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderView {
    /// The order.
    #[serde(flatten)]
    pub order: OrderDoc,
    /// Its payment, once requested.
    pub payment: Option<StateOf>,
    /// Its shipment, once created.
    pub shipment: Option<StateOf>,
}

/// Order filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderParams {
    /// Only orders in this status.
    pub status: Option<String>,
    /// Placed on or after this day (`YYYY-MM-DD`, UTC).
    pub from: Option<String>,
    /// Placed on or before this day (`YYYY-MM-DD`, UTC).
    pub to: Option<String>,
    /// Admins only: one customer's orders.
    pub customer: Option<String>,
    /// The previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Page size, 1 to 100 (default 20).
    pub limit: Option<usize>,
    /// Answer only once orders have applied this log position.
    pub min_position: Option<u64>,
}

fn day(raw: &str, field: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| ApiError::Malformed(format!("{field} must be a date such as 2026-11-29")))
}

fn order_query(state: &QueryState, caller: &Caller, p: &OrderParams) -> Result<Query, ApiError> {
    let mut filters = Vec::new();
    match (&p.customer, caller.is_admin()) {
        (Some(customer), true) => filters.push(Filter::new("customer", Op::Eq, customer.as_str())),
        (None, true) => {}
        (Some(customer), false) if *customer != caller.id => {
            return Err(ApiError::Forbidden(
                "customers see only their own orders".into(),
            ));
        }
        _ => filters.push(Filter::new("customer", Op::Eq, caller.id.as_str())),
    }
    if let Some(status) = &p.status {
        if !STATUSES.contains(&status.as_str()) {
            return Err(ApiError::Malformed(format!("unknown status {status:?}")));
        }
        filters.push(Filter::new("status", Op::Eq, status.as_str()));
    }
    let from = p.from.as_deref().map(|d| day(d, "from")).transpose()?;
    let to = p.to.as_deref().map(|d| day(d, "to")).transpose()?;
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        return Err(ApiError::Malformed("from must not be after to".into()));
    }
    if let Some(from) = from {
        filters.push(Filter::new("placed_at", Op::Gte, from.to_string()));
    }
    if let Some(next) = to.and_then(|d| d.checked_add_days(Days::new(1))) {
        filters.push(Filter::new("placed_at", Op::Lt, next.to_string()));
    }
    Ok(Query {
        collection: state.versions.collection(&Orders, ORDERS),
        filters,
        sort: vec![Sort::desc("placed_at")],
        limit: limit(p.limit)?,
        after: cursor(p.cursor.as_deref()),
    })
}

/// Your orders (admins: everyone's), newest first.
#[utoipa::path(get, path = "/api/orders", tag = "orders", params(OrderParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of orders", body = List<OrderDoc>),
        (status = 400, description = "Bad parameters", body = Problem),
        (status = 401, description = "Not signed in", body = Problem),
    ))]
async fn list_orders(
    State(state): State<QueryState>,
    caller: Caller,
    min: MinPosition,
    Params(params): Params<OrderParams>,
) -> Result<Json<List<OrderDoc>>, ApiError> {
    let query = order_query(&state, &caller, &params)?;
    min.wait(&state, &[state.versions.key(&Orders)]).await?;
    Ok(Json(list(state.read.query(&query).await?)?))
}

/// One order with its lines, totals, status history, payment and shipment.
#[utoipa::path(get, path = "/api/orders/{id}", tag = "orders",
    params(("id" = String, Path, description = "Order id"),
           ("X-Min-Position" = Option<u64>, Header, description = "Read your own writes")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The order", body = OrderView),
        (status = 403, description = "Not your order", body = Problem),
        (status = 404, description = "No such order", body = Problem),
    ))]
async fn get_order(
    State(state): State<QueryState>,
    caller: Caller,
    min: MinPosition,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<OrderView>, ApiError> {
    min.wait(&state, &keys(&state, &[&Payments, &Shipments]))
        .await?;
    let order = visible_order(&state, &caller, &id).await?;
    let payment: Option<PaymentDoc> =
        latest(&state, state.versions.collection(&Payments, PAYMENTS), &id).await?;
    let shipment: Option<ShipmentDoc> = latest(
        &state,
        state.versions.collection(&Shipments, SHIPMENTS),
        &id,
    )
    .await?;
    Ok(Json(OrderView {
        order,
        payment: payment.map(|p| StateOf {
            id: p.id,
            status: p.status,
        }),
        shipment: shipment.map(|s| StateOf {
            id: s.id,
            status: s.status,
        }),
    }))
}

/// The order's shipment, with its tracking history.
#[utoipa::path(get, path = "/api/orders/{id}/shipment", tag = "orders",
    params(("id" = String, Path, description = "Order id"),
           ("X-Min-Position" = Option<u64>, Header, description = "Read your own writes")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The shipment", body = ShipmentDoc),
        (status = 403, description = "Not your order", body = Problem),
        (status = 404, description = "No such order, or not shipped yet", body = Problem),
    ))]
async fn get_order_shipment(
    State(state): State<QueryState>,
    caller: Caller,
    min: MinPosition,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ShipmentDoc>, ApiError> {
    min.wait(&state, &keys(&state, &[&Shipments])).await?;
    visible_order(&state, &caller, &id).await?;
    latest(
        &state,
        state.versions.collection(&Shipments, SHIPMENTS),
        &id,
    )
    .await?
    .map(Json)
    .ok_or_else(|| ApiError::NotFound("this order has no shipment yet".into()))
}
