//! The carts model.

use super::*;
use projections::models::carts;

#[test]
fn carts_keep_lines_in_the_order_added_and_record_the_checkout() {
    let mut log = Log::default();
    let c = format!("cart-{}", id(1));
    let q = |n| Quantity::new(n).unwrap();
    log.add(
        c.clone(),
        CartEvent::CartOpened {
            cart_id: id(1).into(),
            owner: id(9).into(),
        },
        at(1, 9),
    )
    .add(
        c.clone(),
        CartEvent::CartItemAdded {
            product_id: id(2).into(),
            quantity: q(1),
            line_quantity: q(1),
        },
        at(1, 9),
    )
    .add(
        c.clone(),
        CartEvent::CartItemAdded {
            product_id: id(3).into(),
            quantity: q(2),
            line_quantity: q(2),
        },
        at(1, 9),
    )
    .add(
        c.clone(),
        CartEvent::CartItemAdded {
            product_id: id(2).into(),
            quantity: q(2),
            line_quantity: q(3),
        },
        at(1, 9),
    )
    .add(
        c.clone(),
        CartEvent::CartItemQuantitySet {
            product_id: id(3).into(),
            quantity: q(5),
        },
        at(1, 9),
    )
    .add(
        c.clone(),
        CartEvent::CartItemRemoved {
            product_id: id(3).into(),
        },
        at(1, 9),
    );
    let carts = run(&carts::Carts, &log.0);
    let cart = doc(&carts, carts::CARTS, 1);
    assert_eq!(
        cart["lines"],
        json!([{"product_id": id(2).to_string(), "quantity": 3}])
    );
    assert_eq!(
        (cart["owner"].clone(), cart["status"].clone()),
        (json!(id(9).to_string()), json!("open"))
    );
    let line = OrderLine::price(id(2).into(), q(3), eur(100)).unwrap();
    log.add(
        c,
        CartEvent::CartCheckedOut {
            order_id: id(5).into(),
            owner: id(9).into(),
            lines: vec![line],
            total: eur(300),
            shipping_address: address(),
            payment_method: PaymentMethod::parse("pm_card_ok").unwrap(),
        },
        at(1, 10),
    );
    let cart = doc(&run(&carts::Carts, &log.0), carts::CARTS, 1);
    assert_eq!(
        (cart["status"].clone(), cart["order_id"].clone()),
        (json!("checked_out"), json!(id(5).to_string()))
    );
}
