//! The catalog and inventory models.

use super::*;
use projections::models::{catalog, inventory};

#[test]
fn catalog_and_inventory_follow_stock_levels_from_the_events() {
    let mut log = Log::default();
    let p = |n| format!("product-{}", id(n));
    log.add(
        p(1),
        product_created(1, "Stoneware Mug", 1299, 10),
        at(1, 9),
    )
    .add(
        p(1),
        ProductEvent::StockReserved {
            order_id: id(7).into(),
            quantity: 3,
            reserved: 3,
        },
        at(1, 10),
    )
    .add(
        p(1),
        ProductEvent::ProductPriceChanged {
            previous: eur(1299),
            price: eur(1499),
        },
        at(1, 11),
    )
    .add(
        p(1),
        ProductEvent::StockAdjusted {
            delta: -2,
            reason: Reason::parse("broken").unwrap(),
            on_hand: 8,
        },
        at(1, 12),
    )
    .add(
        p(1),
        ProductEvent::ReservationCommitted {
            order_id: id(7).into(),
            quantity: 3,
            on_hand: 5,
            reserved: 0,
        },
        at(1, 13),
    )
    .add(p(2), product_created(2, "Tea Pot", 2500, 1), at(1, 14))
    .add(
        p(2),
        ProductEvent::StockReserved {
            order_id: id(8).into(),
            quantity: 1,
            reserved: 1,
        },
        at(1, 15),
    )
    .add(
        p(2),
        ProductEvent::ProductDiscontinued {
            reason: Reason::parse("old").unwrap(),
        },
        at(1, 16),
    );
    let catalog = run(&catalog::Catalog, &log.0);
    let mug = doc(&catalog, catalog::PRODUCTS, 1);
    assert_eq!(mug["available"], 5);
    assert_eq!(mug["price"], json!({"amount": 1499, "currency": "EUR"}));
    assert_eq!(mug["in_stock"], true);
    assert_eq!(
        mug["terms"],
        json!(["1", "kitchen", "mug", "sku", "stoneware"])
    );
    let pot = doc(&catalog, catalog::PRODUCTS, 2);
    assert_eq!(
        (
            pot["available"].clone(),
            pot["in_stock"].clone(),
            pot["status"].clone()
        ),
        (json!(0), json!(false), json!("discontinued"))
    );

    let inventory = run(&inventory::Inventory, &log.0);
    let mug = doc(&inventory, inventory::INVENTORY, 1);
    assert_eq!(
        (
            mug["on_hand"].clone(),
            mug["reserved"].clone(),
            mug["available"].clone()
        ),
        (json!(5), json!(0), json!(5))
    );
    assert_eq!(mug["holds"], json!([]));
    let pot = doc(&inventory, inventory::INVENTORY, 2);
    assert_eq!(
        pot["holds"],
        json!([{"order_id": id(8).to_string(), "quantity": 1}])
    );
}
