//! The catalog: browse and search products, and one product with its available stock.

use crate::consistency::MinPosition;
use crate::params::{List, Params, cursor, doc, limit, list};
use crate::state::QueryState;
use axum::Json;
use axum::extract::State;
use infra::http::{ApiError, ApiPath, Problem};
use infra::read_store::{Filter, Op, Query, Sort};
use projections::models::catalog::{Catalog, PRODUCTS, ProductDoc, words};
use projections::models::common::MoneyDoc;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The products router.
pub fn router() -> OpenApiRouter<QueryState> {
    OpenApiRouter::new()
        .routes(routes!(list_products))
        .routes(routes!(get_product))
}

fn collection(state: &QueryState) -> String {
    state.versions.collection(&Catalog, PRODUCTS)
}

/// The projections behind the catalog.
pub fn keys(state: &QueryState) -> Vec<String> {
    vec![state.versions.key(&Catalog)]
}

/// A product as clients see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProductView {
    /// Id.
    pub id: String,
    /// Stock-keeping unit.
    pub sku: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Category.
    pub category: String,
    /// Unit price.
    pub price: MoneyDoc,
    /// Units that can be ordered now (on hand minus reserved).
    pub available: u32,
    /// True when it can be ordered now.
    pub in_stock: bool,
    /// `active` or `discontinued`.
    pub status: String,
    /// When it was created.
    pub created_at: String,
    /// When it last changed.
    pub updated_at: String,
}

impl From<ProductDoc> for ProductView {
    fn from(d: ProductDoc) -> Self {
        Self {
            id: d.id,
            sku: d.sku,
            name: d.name,
            description: d.description,
            category: d.category,
            price: d.price,
            available: d.available,
            in_stock: d.in_stock,
            status: d.status,
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}

/// Catalog filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CatalogParams {
    /// Only this category.
    pub category: Option<String>,
    /// Lowest price, minor units.
    pub min_price: Option<i64>,
    /// Highest price, minor units.
    pub max_price: Option<i64>,
    /// Only products that can be ordered now.
    pub in_stock: Option<bool>,
    /// Words that must all appear in the name, SKU or category.
    pub q: Option<String>,
    /// `name` (default), `price`, `-price` or `newest`.
    pub sort: Option<String>,
    /// Also list discontinued products.
    pub include_discontinued: Option<bool>,
    /// The previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Page size, 1 to 100 (default 20).
    pub limit: Option<usize>,
    /// Answer only once the catalog has applied this log position.
    pub min_position: Option<u64>,
}

fn catalog_query(state: &QueryState, p: &CatalogParams) -> Result<Query, ApiError> {
    let mut filters = Vec::new();
    if !p.include_discontinued.unwrap_or(false) {
        filters.push(Filter::new("status", Op::Eq, "active"));
    }
    if let Some(category) = p.category.as_deref().filter(|c| !c.is_empty()) {
        filters.push(Filter::new("category", Op::Eq, category));
    }
    if let Some(min) = p.min_price {
        filters.push(Filter::new("price.amount", Op::Gte, min));
    }
    if let Some(max) = p.max_price {
        filters.push(Filter::new("price.amount", Op::Lte, max));
    }
    if p.in_stock == Some(true) {
        filters.push(Filter::new("in_stock", Op::Eq, true));
    }
    if let Some(q) = &p.q {
        let terms = words(&[q]);
        if terms.len() > 8 {
            return Err(ApiError::Malformed("q may hold at most 8 words".into()));
        }
        filters.extend(
            terms
                .into_iter()
                .map(|t| Filter::new("terms", Op::Contains, t)),
        );
    }
    let sort = match p.sort.as_deref().unwrap_or("name") {
        "name" => Sort::asc("name"),
        "price" => Sort::asc("price.amount"),
        "-price" => Sort::desc("price.amount"),
        "newest" => Sort::desc("created_at"),
        other => {
            return Err(ApiError::Malformed(format!(
                "sort must be name, price, -price or newest, not {other:?}"
            )));
        }
    };
    Ok(Query {
        collection: collection(state),
        filters,
        sort: vec![sort],
        limit: limit(p.limit)?,
        after: cursor(p.cursor.as_deref()),
    })
}

/// Browse the catalog.
#[utoipa::path(get, path = "/api/products", tag = "products", params(CatalogParams),
    responses(
        (status = 200, description = "A page of products", body = List<ProductView>),
        (status = 400, description = "Bad parameters", body = Problem),
        (status = 504, description = "Not caught up with min_position in time", body = Problem),
    ))]
async fn list_products(
    State(state): State<QueryState>,
    min: MinPosition,
    Params(params): Params<CatalogParams>,
) -> Result<Json<List<ProductView>>, ApiError> {
    let query = catalog_query(&state, &params)?;
    min.wait(&state, &keys(&state)).await?;
    let page: List<ProductDoc> = list(state.read.query(&query).await?)?;
    Ok(Json(List {
        items: page.items.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// One product, with its available stock.
#[utoipa::path(get, path = "/api/products/{id}", tag = "products",
    params(("id" = String, Path, description = "Product id"),
           ("X-Min-Position" = Option<u64>, Header, description = "Read your own writes")),
    responses(
        (status = 200, description = "The product", body = ProductView),
        (status = 404, description = "No such product", body = Problem),
    ))]
async fn get_product(
    State(state): State<QueryState>,
    min: MinPosition,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ProductView>, ApiError> {
    min.wait(&state, &keys(&state)).await?;
    let product: ProductDoc = doc(state.read.get(&collection(&state), &id).await?, "product")?;
    Ok(Json(product.into()))
}
