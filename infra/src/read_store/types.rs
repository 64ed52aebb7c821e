//! The values that cross the read store port: collections, queries, pages, writes.

use crate::event_store::Position;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A collection and the fields it can be filtered and sorted by. Field paths are dotted
/// (`price.amount`) and made of lower-case letters, digits and `_`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionSpec {
    /// Physical name, such as `products_v1`.
    pub name: String,
    /// Fields with an index; the only ones a query may filter or sort by (besides `id`).
    pub indexed: Vec<String>,
}

impl CollectionSpec {
    /// A spec from a name and its indexed fields.
    pub fn new(name: impl Into<String>, indexed: &[&str]) -> Self {
        Self {
            name: name.into(),
            indexed: indexed.iter().map(|f| (*f).to_owned()).collect(),
        }
    }
}

/// A stored document with the position of the last event applied to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The document's id.
    pub id: String,
    /// Its JSON object (without store bookkeeping).
    pub body: Value,
    /// Position of the last event that changed it.
    pub position: Position,
}

/// How a filter compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Equal.
    Eq,
    /// Greater than.
    Gt,
    /// Greater than or equal.
    Gte,
    /// Less than.
    Lt,
    /// Less than or equal.
    Lte,
    /// The field is an array holding the value.
    Contains,
}

/// One condition on an indexed field.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    /// Field path.
    pub field: String,
    /// Comparison.
    pub op: Op,
    /// A string, number or boolean.
    pub value: Value,
}

impl Filter {
    /// `field op value`.
    pub fn new(field: &str, op: Op, value: impl Into<Value>) -> Self {
        Self {
            field: field.to_owned(),
            op,
            value: value.into(),
        }
    }
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Direction {
    /// Smallest first.
    Asc,
    /// Largest first.
    Desc,
}

/// One sort key; the document id always breaks ties, ascending.
#[derive(Debug, Clone, PartialEq)]
pub struct Sort {
    /// Field path (indexed, present in every document).
    pub field: String,
    /// Direction.
    pub direction: Direction,
}

impl Sort {
    /// Ascending by `field`.
    pub fn asc(field: &str) -> Self {
        Self {
            field: field.to_owned(),
            direction: Direction::Asc,
        }
    }

    /// Descending by `field`.
    pub fn desc(field: &str) -> Self {
        Self {
            field: field.to_owned(),
            direction: Direction::Desc,
        }
    }
}

/// A page request: filters, order, size and where the previous page ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// Collection.
    pub collection: String,
    /// All must hold.
    pub filters: Vec<Filter>,
    /// Order (the id is appended as the last key).
    pub sort: Vec<Sort>,
    /// Most items in the page.
    pub limit: usize,
    /// The previous page's `next_cursor`.
    pub after: Option<super::Cursor>,
}

impl Query {
    /// Everything in a collection, by id, `limit` at a time.
    pub fn all(collection: &str, limit: usize) -> Self {
        Self {
            collection: collection.to_owned(),
            filters: Vec::new(),
            sort: Vec::new(),
            limit,
            after: None,
        }
    }
}

/// One page of documents.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The documents, in order.
    pub items: Vec<Value>,
    /// Where the next page starts, when there may be one.
    pub next_cursor: Option<super::Cursor>,
}

/// A change to one document, stamped with the position of the event that caused it.
#[derive(Debug, Clone, PartialEq)]
pub struct Write {
    /// Collection.
    pub collection: String,
    /// Document id.
    pub id: String,
    /// The whole new document, or `None` to delete it.
    pub body: Option<Value>,
    /// The event's position; a document already at or past it is left alone.
    pub position: Position,
}

/// What a projector writes for one batch: document changes and its new checkpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// The projection (checkpoint key).
    pub projection: String,
    /// Document changes.
    pub writes: Vec<Write>,
    /// The position the projection has applied up to, after this batch.
    pub checkpoint: Position,
}
