//! Carts: a customer fills their own cart and checks it out into an order.

use crate::caller::{Caller, Customer};
use crate::checkout::flow::place_order;
use crate::context::{RequestContext, empty_body};
use crate::dto::{
    AddressDto, CheckoutAnswer, CommandAnswer, Fields, changed, checked_out, created, path_id,
};
use crate::error::{ApiError, Problem};
use crate::executor::Outcome;
use crate::json::ApiJson;
use crate::path::ApiPath;
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use domain::cart::{Cart, CartCommand, CartState};
use domain::order::Order;
use domain::product::Product;
use domain::values::{CartId, OrderId, OrderLine, PaymentMethod, ProductId, Quantity};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The carts router.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(open))
        .routes(routes!(add_item))
        .routes(routes!(set_quantity, remove_item))
        .routes(routes!(checkout))
}

/// Open a cart for yourself (customer).
#[utoipa::path(post, path = "/api/carts", tag = "carts", security(("bearer" = [])),
    responses(
        (status = 201, description = "Opened", body = CommandAnswer),
        (status = 403, description = "Not a customer", body = Problem),
    ))]
async fn open(
    State(state): State<AppState>,
    Customer(caller): Customer,
    ctx: RequestContext,
) -> Result<Response, ApiError> {
    let id = ctx.new_id(Some(caller.id), "cart");
    let meta = ctx.command(Some(caller.id), "open", &empty_body());
    let command = CartCommand::Open {
        cart_id: CartId::from_uuid(id),
        owner: caller.id,
    };
    let outcome = state.carts.execute(&meta, &id.to_string(), command).await?;
    Ok(created("/api/carts", id, outcome))
}

/// The caller's cart, or 404 / 403.
async fn own_cart(
    state: &AppState,
    caller: &Caller,
    raw: &str,
) -> Result<(CartId, CartState), ApiError> {
    let id: CartId = path_id(raw, "cart")?;
    let cart = state.carts.load_cached(&id.to_string()).await?.aggregate;
    let cart = match cart {
        Cart::Unknown => return Err(ApiError::NotFound(format!("no cart {id}"))),
        Cart::Open(state) | Cart::CheckedOut { cart: state, .. } => state,
    };
    caller.owner(cart.owner)?;
    Ok((id, cart))
}

/// A product that can be sold now, or a 422 naming `field`.
async fn sellable(state: &AppState, product: ProductId, field: &str) -> Result<Product, ApiError> {
    let loaded = state
        .products
        .load_cached(&product.to_string())
        .await?
        .aggregate;
    match loaded {
        Product::Active(_) => Ok(loaded),
        Product::Unknown => Err(ApiError::field(field, format!("no product {product}"))),
        Product::Discontinued(_) => Err(ApiError::field(
            field,
            format!("product {product} is discontinued"),
        )),
    }
}

/// A product and how many.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AddItemRequest {
    /// The product.
    pub product_id: uuid::Uuid,
    /// Units to add (1 to 10,000 per line).
    #[schema(example = 2)]
    pub quantity: u32,
}

/// Add a product to your cart.
#[utoipa::path(post, path = "/api/carts/{id}/items", tag = "carts", request_body = AddItemRequest,
    params(("id" = uuid::Uuid, Path, description = "Cart id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Added", body = CommandAnswer),
        (status = 403, description = "Not your cart", body = Problem),
        (status = 404, description = "No such cart", body = Problem),
        (status = 422, description = "Unknown product, bad quantity, checked out", body = Problem),
    ))]
async fn add_item(
    State(state): State<AppState>,
    caller: Caller,
    ctx: RequestContext,
    ApiPath(id): ApiPath<String>,
    body: ApiJson<AddItemRequest>,
) -> Result<Response, ApiError> {
    let (cart, _) = own_cart(&state, &caller, &id).await?;
    let quantity = Quantity::new(body.value.quantity)?;
    let product_id = ProductId::from_uuid(body.value.product_id);
    sellable(&state, product_id, "product_id").await?;
    let meta = ctx.command(Some(caller.id), "add", &body.digest);
    let command = CartCommand::AddItem {
        product_id,
        quantity,
    };
    let outcome = state
        .carts
        .execute(&meta, &cart.to_string(), command)
        .await?;
    Ok(changed(cart.as_uuid(), outcome))
}

/// A line's new quantity.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SetQuantityRequest {
    /// Units; 0 removes the line.
    #[schema(example = 3)]
    pub quantity: u32,
}

/// Set how many of a product your cart holds (0 removes it).
#[utoipa::path(put, path = "/api/carts/{id}/items/{product_id}", tag = "carts",
    request_body = SetQuantityRequest,
    params(
        ("id" = uuid::Uuid, Path, description = "Cart id"),
        ("product_id" = uuid::Uuid, Path, description = "Product id"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Set", body = CommandAnswer),
        (status = 403, description = "Not your cart", body = Problem),
        (status = 404, description = "No such cart", body = Problem),
        (status = 422, description = "Unknown product, bad quantity, checked out", body = Problem),
    ))]
async fn set_quantity(
    State(state): State<AppState>,
    caller: Caller,
    ctx: RequestContext,
    ApiPath((id, product)): ApiPath<(String, String)>,
    body: ApiJson<SetQuantityRequest>,
) -> Result<Response, ApiError> {
    let (cart, _) = own_cart(&state, &caller, &id).await?;
    let product_id: ProductId = path_id(&product, "product")?;
    let quantity = body.value.quantity;
    if quantity > 0 {
        Quantity::new(quantity)?;
        sellable(&state, product_id, "product_id").await?;
    }
    let meta = ctx.command(Some(caller.id), "set", &body.digest);
    let command = CartCommand::SetItemQuantity {
        product_id,
        quantity,
    };
    let outcome = state
        .carts
        .execute(&meta, &cart.to_string(), command)
        .await?;
    Ok(changed(cart.as_uuid(), outcome))
}

/// Remove a product from your cart.
#[utoipa::path(delete, path = "/api/carts/{id}/items/{product_id}", tag = "carts",
    params(
        ("id" = uuid::Uuid, Path, description = "Cart id"),
        ("product_id" = uuid::Uuid, Path, description = "Product id"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Removed", body = CommandAnswer),
        (status = 403, description = "Not your cart", body = Problem),
        (status = 404, description = "No such cart", body = Problem),
        (status = 422, description = "Not in the cart, checked out", body = Problem),
    ))]
async fn remove_item(
    State(state): State<AppState>,
    caller: Caller,
    ctx: RequestContext,
    ApiPath((id, product)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    let (cart, _) = own_cart(&state, &caller, &id).await?;
    let product_id: ProductId = path_id(&product, "product")?;
    let meta = ctx.command(Some(caller.id), "remove", &empty_body());
    let command = CartCommand::RemoveItem { product_id };
    let outcome = state
        .carts
        .execute(&meta, &cart.to_string(), command)
        .await?;
    Ok(changed(cart.as_uuid(), outcome))
}

/// Where to ship and how to pay.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CheckoutRequest {
    /// Shipping address.
    pub shipping_address: AddressDto,
    /// A payment method token, such as `pm_card_ok`.
    #[schema(example = "pm_card_ok")]
    pub payment_method: String,
}

/// Check out your cart: its lines are priced now and an order is placed (202).
#[utoipa::path(post, path = "/api/carts/{id}/checkout", tag = "carts",
    request_body = CheckoutRequest,
    params(("id" = uuid::Uuid, Path, description = "Cart id")),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Checked out and the order placed; stock and payment follow (the answer's position shows the order)", body = CheckoutAnswer),
        (status = 403, description = "Not your cart", body = Problem),
        (status = 404, description = "No such cart", body = Problem),
        (status = 422, description = "Empty, checked out, discontinued product, bad address", body = Problem),
    ))]
async fn checkout(
    State(state): State<AppState>,
    caller: Caller,
    ctx: RequestContext,
    ApiPath(id): ApiPath<String>,
    body: ApiJson<CheckoutRequest>,
) -> Result<Response, ApiError> {
    let (cart_id, cart) = own_cart(&state, &caller, &id).await?;
    let mut fields = Fields::new("");
    let address = fields.take(body.value.shipping_address.parse("shipping_address"))?;
    let method = fields.check(
        "payment_method",
        PaymentMethod::parse(&body.value.payment_method),
    );
    fields.finish()?;
    let (Some(shipping_address), Some(payment_method)) = (address, method) else {
        return Err(ApiError::Internal("fields missing after checks".into()));
    };
    let mut lines = Vec::with_capacity(cart.lines.len());
    for line in &cart.lines {
        let product = sellable(&state, line.product_id, "lines").await?;
        let price = product.state().map(|p| p.price).ok_or_else(|| {
            ApiError::Internal(format!("product {} has no state", line.product_id))
        })?;
        let priced = OrderLine::price(line.product_id, line.quantity, price)
            .map_err(|e| ApiError::field("lines", e.to_string()))?;
        lines.push(priced);
    }
    let order_id = ctx.new_id(Some(caller.id), "order");
    let meta = ctx.command(Some(caller.id), "checkout", &body.digest);
    let command = CartCommand::CheckOut {
        order_id: OrderId::from_uuid(order_id),
        lines,
        shipping_address,
        payment_method,
    };
    let outcome = state
        .carts
        .execute(&meta, &cart_id.to_string(), command)
        .await?;
    Ok(checked_out(
        order_id,
        place_at_once(&state, cart_id, outcome).await,
    ))
}

/// Places the order now, as the checkout process would (the same command id, so it is
/// placed once between them), so that the answer's position is one where the order exists.
/// When the order was already there (the process was first), the answer is the position of
/// its last event. When placing fails the process places it a moment later, and the answer
/// falls back to the checkout's own position.
async fn place_at_once(state: &AppState, cart: CartId, checkout: Outcome) -> Outcome {
    let stream = format!("cart-{cart}");
    let placed = async {
        let event = state
            .store
            .read_stream(&stream, checkout.version)
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .find(|e| e.event_type == "CartCheckedOut")
            .ok_or("the checkout event is not in the stream")?;
        let decoded = infra::event_store::codec::decode(&event.event_type, event.payload.clone())
            .map_err(|e| e.to_string())?;
        place_order(state, &event, decoded)
            .await
            .map_err(|e| e.to_string())
    };
    let position = match placed.await {
        Ok(Some((_, Some(order)))) => Some(order.position),
        Ok(Some((order, None))) => last_position(state, order).await,
        Ok(None) => None,
        Err(e) => {
            tracing::warn!(%cart, error = %e, "the order will be placed by the checkout process");
            None
        }
    };
    Outcome {
        position: position.unwrap_or(0).max(checkout.position),
        ..checkout
    }
}

/// The global position of the order's last event, when it has one and it reads.
async fn last_position(state: &AppState, order: OrderId) -> Option<u64> {
    let stream = infra::event_store::aggregates::stream_name::<Order>(&order.to_string());
    match state.store.read_stream(&stream, 0).await {
        Ok(events) => events.last().map(|e| e.position),
        Err(e) => {
            tracing::warn!(%order, error = %e, "the order's position did not read");
            None
        }
    }
}
