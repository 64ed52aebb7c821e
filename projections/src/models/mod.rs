//! The read models, one module each, and the list of all of them.

pub mod carts;
pub mod catalog;
pub mod common;
pub mod inventory;
pub mod orders;
pub mod payments;
pub mod reporting;
pub mod shipments;
pub mod users;

use crate::runtime::Projection;
use std::sync::Arc;

/// Every read model of the shop.
pub fn all() -> Vec<Arc<dyn Projection>> {
    vec![
        Arc::new(catalog::Catalog),
        Arc::new(inventory::Inventory),
        Arc::new(carts::Carts),
        Arc::new(orders::Orders),
        Arc::new(payments::Payments),
        Arc::new(shipments::Shipments),
        Arc::new(users::Users),
        Arc::new(reporting::Reporting),
    ]
}
