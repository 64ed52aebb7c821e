//! The catalog and its stock (admin).

use crate::caller::{Admin, Caller};
use crate::claims;
use crate::context::RequestContext;
use crate::dto::{CommandAnswer, Fields, MoneyDto, changed, created, path_id};
use crate::error::{ApiError, Problem};
use crate::executor::precheck;
use crate::json::ApiJson;
use crate::path::ApiPath;
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use domain::product::{Product, ProductCommand};
use domain::values::{Category, Description, ProductId, ProductName, Reason, Sku};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The products router.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(change_details))
        .routes(routes!(change_price))
        .routes(routes!(adjust_stock))
        .routes(routes!(discontinue))
}

/// A new product.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateProductRequest {
    /// Unique stock-keeping unit: letters, digits, `-`, `_`, `.`.
    #[schema(example = "MUG-001")]
    pub sku: String,
    /// Display name.
    #[schema(example = "Stoneware mug")]
    pub name: String,
    /// Description (may be empty).
    #[serde(default)]
    pub description: String,
    /// Category.
    #[schema(example = "kitchen")]
    pub category: String,
    /// Unit price.
    pub price: MoneyDto,
    /// Units on hand.
    #[serde(default)]
    pub initial_stock: u32,
}

/// Create a product (admin).
#[utoipa::path(post, path = "/api/products", tag = "products", request_body = CreateProductRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = CommandAnswer),
        (status = 403, description = "Not an admin", body = Problem),
        (status = 409, description = "SKU taken", body = Problem),
        (status = 422, description = "Invalid fields", body = Problem),
    ))]
async fn create(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ctx: RequestContext,
    body: ApiJson<CreateProductRequest>,
) -> Result<Response, ApiError> {
    let request = &body.value;
    let mut fields = Fields::new("");
    let sku = fields.check("sku", Sku::parse(&request.sku));
    let name = fields.check("name", ProductName::parse(&request.name));
    let description = fields.check("description", Description::parse(&request.description));
    let category = fields.check("category", Category::parse(&request.category));
    let price = fields.take(request.price.parse("price"))?;
    fields.finish()?;
    let (Some(sku), Some(name), Some(description), Some(category), Some(price)) =
        (sku, name, description, category, price)
    else {
        return Err(ApiError::Internal("fields missing after checks".into()));
    };
    let id = ctx.new_id(Some(caller.id), "product");
    let mut command = ProductCommand::Create {
        product_id: ProductId::from_uuid(id),
        sku: sku.clone(),
        name,
        description,
        category,
        price,
        initial_stock: request.initial_stock,
    };
    precheck::<Product>(&command)?;
    let exists = |holder: uuid::Uuid| {
        let state = state.clone();
        async move { Ok(state.products.load(&holder.to_string()).await?.version > 0) }
    };
    let claim = ctx.command(Some(caller.id), "claim", &body.digest);
    let key = format!("sku:{sku}");
    let id = claims::claim(&state, &claim, &key, id, "this SKU is already used", exists).await?;
    if let ProductCommand::Create { product_id, .. } = &mut command {
        *product_id = ProductId::from_uuid(id);
    }
    let meta = ctx.command(Some(caller.id), "create", &body.digest);
    let outcome = match state
        .products
        .execute(&meta, &id.to_string(), command)
        .await
    {
        Err(ApiError::Refused { .. }) => Err(ApiError::Conflict {
            detail: "this SKU is already used".into(),
            current_version: None,
        }),
        other => other,
    }?;
    Ok(created("/api/products", id, outcome))
}

/// Details to change; absent fields stay.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ChangeDetailsRequest {
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Category.
    #[serde(default)]
    pub category: Option<String>,
}

/// Change a product's name, description or category (admin).
#[utoipa::path(patch, path = "/api/products/{id}", tag = "products",
    request_body = ChangeDetailsRequest,
    params(("id" = uuid::Uuid, Path, description = "Product id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Changed", body = CommandAnswer),
        (status = 404, description = "No such product", body = Problem),
        (status = 422, description = "Invalid fields, discontinued", body = Problem),
    ))]
async fn change_details(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ctx: RequestContext,
    ApiPath(id): ApiPath<String>,
    body: ApiJson<ChangeDetailsRequest>,
) -> Result<Response, ApiError> {
    let product: ProductId = path_id(&id, "product")?;
    let request = &body.value;
    let mut fields = Fields::new("");
    let name = request
        .name
        .as_deref()
        .and_then(|v| fields.check("name", ProductName::parse(v)));
    let description = request
        .description
        .as_deref()
        .and_then(|v| fields.check("description", Description::parse(v)));
    let category = request
        .category
        .as_deref()
        .and_then(|v| fields.check("category", Category::parse(v)));
    fields.finish()?;
    if name.is_none() && description.is_none() && category.is_none() {
        return Err(ApiError::field("body", "nothing to change"));
    }
    let command = ProductCommand::ChangeDetails {
        name,
        description,
        category,
    };
    run(&state, &caller, &ctx, &body.digest, product, command).await
}

/// A new unit price.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ChangePriceRequest {
    /// The price, in the product's currency.
    pub price: MoneyDto,
}

/// Change a product's price (admin).
#[utoipa::path(put, path = "/api/products/{id}/price", tag = "products",
    request_body = ChangePriceRequest,
    params(("id" = uuid::Uuid, Path, description = "Product id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Changed", body = CommandAnswer),
        (status = 404, description = "No such product", body = Problem),
        (status = 422, description = "Invalid price, other currency, discontinued", body = Problem),
    ))]
async fn change_price(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ctx: RequestContext,
    ApiPath(id): ApiPath<String>,
    body: ApiJson<ChangePriceRequest>,
) -> Result<Response, ApiError> {
    let product: ProductId = path_id(&id, "product")?;
    let price = body.value.price.parse("price")?;
    let command = ProductCommand::ChangePrice { price };
    run(&state, &caller, &ctx, &body.digest, product, command).await
}

/// A stock correction.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AdjustStockRequest {
    /// Units to add, or remove when negative; never zero.
    #[schema(example = 25)]
    pub delta: i64,
    /// Why, for the audit trail.
    #[schema(example = "delivery from supplier")]
    pub reason: String,
}

/// Restock or correct a product's stock (admin).
#[utoipa::path(post, path = "/api/products/{id}/stock", tag = "products",
    request_body = AdjustStockRequest,
    params(("id" = uuid::Uuid, Path, description = "Product id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Adjusted", body = CommandAnswer),
        (status = 404, description = "No such product", body = Problem),
        (status = 422, description = "Zero, too large, or below what is reserved", body = Problem),
    ))]
async fn adjust_stock(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ctx: RequestContext,
    ApiPath(id): ApiPath<String>,
    body: ApiJson<AdjustStockRequest>,
) -> Result<Response, ApiError> {
    let product: ProductId = path_id(&id, "product")?;
    let reason = Reason::parse(&body.value.reason)?;
    let command = ProductCommand::AdjustStock {
        delta: body.value.delta,
        reason,
    };
    run(&state, &caller, &ctx, &body.digest, product, command).await
}

/// Why a product is no longer sold.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DiscontinueRequest {
    /// For the audit trail.
    #[schema(example = "end of line")]
    pub reason: String,
}

/// Stop selling a product (admin).
#[utoipa::path(post, path = "/api/products/{id}/discontinue", tag = "products",
    request_body = DiscontinueRequest,
    params(("id" = uuid::Uuid, Path, description = "Product id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Discontinued", body = CommandAnswer),
        (status = 404, description = "No such product", body = Problem),
        (status = 422, description = "Already discontinued", body = Problem),
    ))]
async fn discontinue(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ctx: RequestContext,
    ApiPath(id): ApiPath<String>,
    body: ApiJson<DiscontinueRequest>,
) -> Result<Response, ApiError> {
    let product: ProductId = path_id(&id, "product")?;
    let reason = Reason::parse(&body.value.reason)?;
    let command = ProductCommand::Discontinue { reason };
    run(&state, &caller, &ctx, &body.digest, product, command).await
}

async fn run(
    state: &AppState,
    caller: &Caller,
    ctx: &RequestContext,
    digest: &[u8; 32],
    product: ProductId,
    command: ProductCommand,
) -> Result<Response, ApiError> {
    let meta = ctx.command(Some(caller.id), "product", digest);
    let outcome = state
        .products
        .execute(&meta, &product.to_string(), command)
        .await?;
    Ok(changed(product.as_uuid(), outcome))
}
