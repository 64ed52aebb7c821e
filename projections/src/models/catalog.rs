//! The product catalog: one document per product with its price and available stock, for
//! browsing (filter by category, price range, in stock, words; sort) and product pages.

use super::common::MoneyDoc;
use crate::runtime::{ApplyError, Docs, Key, Projection, decode, stream_id};
use domain::product::ProductEvent;
use infra::event_store::RecordedEvent;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The collection.
pub const PRODUCTS: &str = "products";

/// A product as the catalog shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ProductDoc {
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
    /// Units in the warehouse.
    pub on_hand: u32,
    /// Units held for orders.
    pub reserved: u32,
    /// Units that can be sold now: on hand minus reserved.
    pub available: u32,
    /// True when `available` is above zero and the product is on sale.
    pub in_stock: bool,
    /// `active` or `discontinued`.
    pub status: String,
    /// Lower-case words of the name, SKU and category, for text search.
    #[serde(default)]
    #[schema(ignore)]
    pub terms: Vec<String>,
    /// When it was created.
    pub created_at: String,
    /// When it last changed.
    pub updated_at: String,
}

/// Lower-case words (letters and digits) of some texts, without repeats.
pub fn words(texts: &[&str]) -> Vec<String> {
    let mut words: Vec<String> = texts
        .iter()
        .flat_map(|t| t.split(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    words.sort();
    words.dedup();
    words
}

impl ProductDoc {
    fn index(&mut self) {
        self.available = self.on_hand.saturating_sub(self.reserved);
        self.terms = words(&[&self.name, &self.sku, &self.category]);
        self.in_stock = self.available > 0 && self.status == "active";
    }
}

/// The catalog projection.
pub struct Catalog;

impl Projection for Catalog {
    fn name(&self) -> &'static str {
        "catalog"
    }

    fn collections(&self) -> Vec<(&'static str, Vec<&'static str>)> {
        vec![(
            PRODUCTS,
            vec![
                "category",
                "price.amount",
                "available",
                "in_stock",
                "status",
                "name",
                "terms",
                "created_at",
            ],
        )]
    }

    fn event_types(&self) -> Vec<&'static str> {
        ProductEvent::SCHEMAS
            .iter()
            .map(|(name, _)| *name)
            .collect()
    }

    fn keys(&self, event: &RecordedEvent) -> Vec<Key> {
        vec![(PRODUCTS, stream_id(event).to_owned())]
    }

    fn apply(&self, event: &RecordedEvent, docs: &mut Docs) -> Result<(), ApplyError> {
        let id = stream_id(event);
        let at = event.recorded_at.to_rfc3339();
        let change = |docs: &mut Docs, f: &dyn Fn(&mut ProductDoc)| {
            docs.update(PRODUCTS, id, |doc: &mut ProductDoc| {
                f(doc);
                doc.updated_at.clone_from(&at);
                doc.index();
            })
        };
        match decode::<ProductEvent>(event)? {
            ProductEvent::ProductCreated {
                sku,
                name,
                description,
                category,
                price,
                initial_stock,
                ..
            } => {
                let mut doc = ProductDoc {
                    id: id.to_owned(),
                    sku: sku.into(),
                    name: name.into(),
                    description: description.into(),
                    category: category.into(),
                    price: price.into(),
                    on_hand: initial_stock,
                    reserved: 0,
                    available: initial_stock,
                    in_stock: false,
                    status: "active".into(),
                    terms: Vec::new(),
                    created_at: at.clone(),
                    updated_at: at.clone(),
                };
                doc.index();
                docs.put(PRODUCTS, id, &doc)
            }
            ProductEvent::ProductDetailsChanged {
                name,
                description,
                category,
            } => change(docs, &|d| {
                d.name = name.to_string();
                d.description = description.to_string();
                d.category = category.to_string();
            }),
            ProductEvent::ProductPriceChanged { price, .. } => {
                change(docs, &|d| d.price = price.into())
            }
            // Stock events carry the resulting levels: set them, never add them up.
            ProductEvent::StockAdjusted { on_hand, .. } => change(docs, &|d| d.on_hand = on_hand),
            ProductEvent::StockReserved { reserved, .. }
            | ProductEvent::ReservationReleased { reserved, .. } => {
                change(docs, &|d| d.reserved = reserved)
            }
            ProductEvent::ReservationCommitted {
                on_hand, reserved, ..
            } => change(docs, &|d| {
                d.on_hand = on_hand;
                d.reserved = reserved;
            }),
            ProductEvent::ProductDiscontinued { .. } => {
                change(docs, &|d| d.status = "discontinued".into())
            }
        }
    }
}
