//! Reports for admins: sales per day, best sellers, low stock.

use crate::caller::Caller;
use crate::consistency::MinPosition;
use crate::params::{List, Params, cursor, limit, list};
use crate::state::QueryState;
use axum::Json;
use axum::extract::State;
use chrono::{Days, NaiveDate, Utc};
use domain::values::Role;
use infra::http::{ApiError, Problem};
use infra::read_store::{Filter, Op, Query, Sort};
use projections::models::catalog::{Catalog, PRODUCTS, ProductDoc};
use projections::models::common::MoneyDoc;
use projections::models::inventory::{INVENTORY, Inventory, StockDoc};
use projections::models::reporting::{
    PRODUCT_SALES, ProductSales, Reporting, SALES_DAILY, SalesDay,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The reports router.
pub fn router() -> OpenApiRouter<QueryState> {
    OpenApiRouter::new()
        .routes(routes!(sales_daily))
        .routes(routes!(top_products))
        .routes(routes!(low_stock))
}

/// A range of days.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DaysParams {
    /// First day, `YYYY-MM-DD` (default: 30 days before `to`).
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD` (default: today, UTC).
    pub to: Option<String>,
}

fn day(raw: &str, field: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| ApiError::Malformed(format!("{field} must be a date such as 2026-11-29")))
}

/// Revenue, refunds, orders and items per day and currency (admin).
#[utoipa::path(get, path = "/api/reports/sales/daily", tag = "reports", params(DaysParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One item per day and currency with sales", body = List<SalesDay>),
        (status = 400, description = "Bad dates", body = Problem),
        (status = 403, description = "Not an admin", body = Problem),
    ))]
async fn sales_daily(
    State(state): State<QueryState>,
    caller: Caller,
    min: MinPosition,
    Params(p): Params<DaysParams>,
) -> Result<Json<List<SalesDay>>, ApiError> {
    caller.require(Role::Admin)?;
    let to =
        p.to.as_deref()
            .map(|d| day(d, "to"))
            .transpose()?
            .unwrap_or_else(|| Utc::now().date_naive());
    let from = match p.from.as_deref() {
        Some(d) => day(d, "from")?,
        None => to.checked_sub_days(Days::new(30)).unwrap_or(to),
    };
    if from > to || (to - from).num_days() > 366 {
        return Err(ApiError::Malformed(
            "from must be on or before to, at most 366 days apart".into(),
        ));
    }
    min.wait(&state, &[state.versions.key(&Reporting)]).await?;
    let query = Query {
        filters: vec![
            Filter::new("date", Op::Gte, from.to_string()),
            Filter::new("date", Op::Lte, to.to_string()),
        ],
        sort: vec![Sort::asc("date")],
        ..Query::all(&state.versions.collection(&Reporting, SALES_DAILY), 1000)
    };
    Ok(Json(list(state.read.query(&query).await?)?))
}

/// How to rank best sellers.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TopParams {
    /// How many, 1 to 100 (default 20).
    pub limit: Option<usize>,
    /// `units` (default) or `revenue`.
    pub by: Option<String>,
}

/// A best seller.
#[derive(Debug, Serialize, ToSchema)]
pub struct TopProduct {
    /// Product id.
    pub product_id: String,
    /// Its name, when the catalog knows it.
    pub name: Option<String>,
    /// Its SKU.
    pub sku: Option<String>,
    /// Units sold in paid orders.
    pub units: u64,
    /// Their revenue.
    pub revenue: MoneyDoc,
    /// Paid orders holding it.
    pub orders: u64,
}

/// Best sellers by units or revenue (admin).
#[utoipa::path(get, path = "/api/reports/products/top", tag = "reports", params(TopParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Best sellers first", body = List<TopProduct>),
        (status = 400, description = "Bad parameters", body = Problem),
        (status = 403, description = "Not an admin", body = Problem),
    ))]
async fn top_products(
    State(state): State<QueryState>,
    caller: Caller,
    min: MinPosition,
    Params(p): Params<TopParams>,
) -> Result<Json<List<TopProduct>>, ApiError> {
    caller.require(Role::Admin)?;
    let sort = match p.by.as_deref().unwrap_or("units") {
        "units" => Sort::desc("units"),
        "revenue" => Sort::desc("revenue.amount"),
        other => {
            return Err(ApiError::Malformed(format!(
                "by must be units or revenue, not {other:?}"
            )));
        }
    };
    let size = limit(p.limit)?;
    min.wait(
        &state,
        &[state.versions.key(&Reporting), state.versions.key(&Catalog)],
    )
    .await?;
    let query = Query {
        sort: vec![sort],
        ..Query::all(&state.versions.collection(&Reporting, PRODUCT_SALES), size)
    };
    let sales: List<ProductSales> = list(state.read.query(&query).await?)?;
    let ids: Vec<String> = sales.items.iter().map(|s| s.id.clone()).collect();
    let products: HashMap<String, ProductDoc> = state
        .read
        .get_many(&state.versions.collection(&Catalog, PRODUCTS), &ids)
        .await?
        .into_iter()
        .filter_map(|d| serde_json::from_value::<ProductDoc>(d.body).ok())
        .map(|p| (p.id.clone(), p))
        .collect();
    let items = sales
        .items
        .into_iter()
        .map(|s| {
            let product = products.get(&s.id);
            TopProduct {
                name: product.map(|p| p.name.clone()),
                sku: product.map(|p| p.sku.clone()),
                product_id: s.id,
                units: s.units,
                revenue: s.revenue,
                orders: s.orders,
            }
        })
        .collect();
    Ok(Json(List {
        items,
        next_cursor: None,
    }))
}

/// The low-stock threshold.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LowStockParams {
    /// Products with at most this many available units (default 5).
    pub threshold: Option<u32>,
    /// The previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Page size, 1 to 100 (default 20).
    pub limit: Option<usize>,
}

/// Products on sale with at most `threshold` units available, fewest first (admin).
#[utoipa::path(get, path = "/api/reports/inventory/low-stock", tag = "reports",
    params(LowStockParams), security(("bearer" = [])),
    responses(
        (status = 200, description = "Low-stock products", body = List<StockDoc>),
        (status = 400, description = "Bad parameters", body = Problem),
        (status = 403, description = "Not an admin", body = Problem),
    ))]
async fn low_stock(
    State(state): State<QueryState>,
    caller: Caller,
    min: MinPosition,
    Params(p): Params<LowStockParams>,
) -> Result<Json<List<StockDoc>>, ApiError> {
    caller.require(Role::Admin)?;
    let query = Query {
        collection: state.versions.collection(&Inventory, INVENTORY),
        filters: vec![
            Filter::new("available", Op::Lte, p.threshold.unwrap_or(5)),
            Filter::new("status", Op::Eq, "active"),
        ],
        sort: vec![Sort::asc("available")],
        limit: limit(p.limit)?,
        after: cursor(p.cursor.as_deref()),
    };
    min.wait(&state, &[state.versions.key(&Inventory)]).await?;
    Ok(Json(list(state.read.query(&query).await?)?))
}
