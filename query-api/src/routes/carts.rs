//! A customer's cart, priced with the catalog's current prices.

use crate::caller::Caller;
use crate::consistency::MinPosition;
use crate::params::doc;
use crate::state::QueryState;
use axum::Json;
use axum::extract::State;
use infra::http::{ApiError, ApiPath, Problem};
use projections::models::carts::{CARTS, CartDoc, Carts};
use projections::models::catalog::{Catalog, PRODUCTS, ProductDoc};
use projections::models::common::MoneyDoc;
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The carts router.
pub fn router() -> OpenApiRouter<QueryState> {
    OpenApiRouter::new().routes(routes!(get_cart))
}

/// A priced line.
#[derive(Debug, Serialize, ToSchema)]
pub struct CartLineView {
    /// The product.
    pub product_id: String,
    /// Its name, when the catalog knows it.
    pub name: Option<String>,
    /// Units.
    pub quantity: u32,
    /// The current price of one unit.
    pub unit_price: Option<MoneyDoc>,
    /// `unit_price × quantity`.
    pub line_total: Option<MoneyDoc>,
    /// Units available to order now.
    pub available: Option<u32>,
}

/// A cart with current prices.
#[derive(Debug, Serialize, ToSchema)]
pub struct CartView {
    /// Id.
    pub id: String,
    /// Its owner.
    pub owner: String,
    /// `open` or `checked_out`.
    pub status: String,
    /// Lines in the order they were added.
    pub lines: Vec<CartLineView>,
    /// The sum of the line totals (null for an empty cart, or when a price is unknown).
    pub total: Option<MoneyDoc>,
    /// The order it became.
    pub order_id: Option<String>,
}

/// A cart with its lines priced at the catalog's current prices.
#[utoipa::path(get, path = "/api/carts/{id}", tag = "carts",
    params(("id" = String, Path, description = "Cart id"),
           ("X-Min-Position" = Option<u64>, Header, description = "Read your own writes")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The cart", body = CartView),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not your cart", body = Problem),
        (status = 404, description = "No such cart", body = Problem),
    ))]
async fn get_cart(
    State(state): State<QueryState>,
    caller: Caller,
    min: MinPosition,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<CartView>, ApiError> {
    min.wait(
        &state,
        &[state.versions.key(&Carts), state.versions.key(&Catalog)],
    )
    .await?;
    let carts = state.versions.collection(&Carts, CARTS);
    let cart: CartDoc = doc(state.read.get(&carts, &id).await?, "cart")?;
    caller.owner_or_admin(&cart.owner)?;
    let ids: Vec<String> = cart.lines.iter().map(|l| l.product_id.clone()).collect();
    let products: HashMap<String, ProductDoc> = state
        .read
        .get_many(&state.versions.collection(&Catalog, PRODUCTS), &ids)
        .await?
        .into_iter()
        .filter_map(|d| serde_json::from_value::<ProductDoc>(d.body).ok())
        .map(|p| (p.id.clone(), p))
        .collect();
    let lines: Vec<CartLineView> = cart
        .lines
        .iter()
        .map(|line| {
            let product = products.get(&line.product_id);
            let unit_price = product.map(|p| p.price.clone());
            let line_total = unit_price.as_ref().map(|price| MoneyDoc {
                amount: price.amount.saturating_mul(i64::from(line.quantity)),
                currency: price.currency.clone(),
            });
            CartLineView {
                product_id: line.product_id.clone(),
                name: product.map(|p| p.name.clone()),
                quantity: line.quantity,
                unit_price,
                line_total,
                available: product.map(|p| p.available),
            }
        })
        .collect();
    let total = total(&lines);
    Ok(Json(CartView {
        id: cart.id,
        owner: cart.owner,
        status: cart.status,
        lines,
        total,
        order_id: cart.order_id,
    }))
}

fn total(lines: &[CartLineView]) -> Option<MoneyDoc> {
    let mut total: Option<MoneyDoc> = None;
    for line in lines {
        let amount = line.line_total.as_ref()?;
        match &mut total {
            None => total = Some(amount.clone()),
            Some(t) if t.currency == amount.currency => {
                t.amount = t.amount.saturating_add(amount.amount);
            }
            Some(_) => return None,
        }
    }
    total
}
