//! Carts: their lines by product; prices are joined at query time from the catalog, so a
//! cart always shows current prices.

use crate::runtime::{ApplyError, Docs, Key, Projection, decode, stream_id};
use domain::cart::CartEvent;
use infra::event_store::RecordedEvent;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The collection.
pub const CARTS: &str = "carts";

/// One product in a cart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CartLineDoc {
    /// The product.
    pub product_id: String,
    /// Units.
    pub quantity: u32,
}

/// A cart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CartDoc {
    /// Id.
    pub id: String,
    /// The customer it belongs to.
    pub owner: String,
    /// `open` or `checked_out`.
    pub status: String,
    /// Lines in the order they were added.
    pub lines: Vec<CartLineDoc>,
    /// The order it became.
    pub order_id: Option<String>,
    /// When it was opened.
    pub created_at: String,
    /// When it last changed.
    pub updated_at: String,
}

/// The carts projection.
pub struct Carts;

impl Projection for Carts {
    fn name(&self) -> &'static str {
        "carts"
    }

    fn collections(&self) -> Vec<(&'static str, Vec<&'static str>)> {
        vec![(CARTS, vec!["owner", "status"])]
    }

    fn event_types(&self) -> Vec<&'static str> {
        CartEvent::SCHEMAS.iter().map(|(name, _)| *name).collect()
    }

    fn keys(&self, event: &RecordedEvent) -> Vec<Key> {
        vec![(CARTS, stream_id(event).to_owned())]
    }

    fn apply(&self, event: &RecordedEvent, docs: &mut Docs) -> Result<(), ApplyError> {
        let id = stream_id(event);
        let at = event.recorded_at.to_rfc3339();
        let event = decode::<CartEvent>(event)?;
        if let CartEvent::CartOpened { owner, .. } = &event {
            let doc = CartDoc {
                id: id.to_owned(),
                owner: owner.to_string(),
                status: "open".into(),
                lines: Vec::new(),
                order_id: None,
                created_at: at.clone(),
                updated_at: at,
            };
            return docs.put(CARTS, id, &doc);
        }
        docs.update(CARTS, id, |doc: &mut CartDoc| {
            let mut set = |product: String, quantity: u32| match doc
                .lines
                .iter_mut()
                .find(|l| l.product_id == product)
            {
                Some(line) => line.quantity = quantity,
                None => doc.lines.push(CartLineDoc {
                    product_id: product,
                    quantity,
                }),
            };
            match event {
                CartEvent::CartItemAdded {
                    product_id,
                    line_quantity,
                    ..
                } => set(product_id.to_string(), line_quantity.get()),
                CartEvent::CartItemQuantitySet {
                    product_id,
                    quantity,
                } => set(product_id.to_string(), quantity.get()),
                CartEvent::CartItemRemoved { product_id } => {
                    let product = product_id.to_string();
                    doc.lines.retain(|l| l.product_id != product);
                }
                CartEvent::CartCheckedOut { order_id, .. } => {
                    doc.status = "checked_out".into();
                    doc.order_id = Some(order_id.to_string());
                }
                CartEvent::CartOpened { .. } => {}
            }
            doc.updated_at = at;
        })
    }
}
