use super::*;
use crate::test_support::*;
use cqrs_es::test::TestFramework;

type Test = TestFramework<Product>;

fn created(stock: u32) -> ProductEvent {
    ProductEvent::ProductCreated {
        product_id: product(1),
        sku: Sku::parse("MUG-1").unwrap(),
        name: ProductName::parse("Mug").unwrap(),
        description: Description::parse("A mug").unwrap(),
        category: Category::parse("kitchen").unwrap(),
        price: eur(1200),
        initial_stock: stock,
    }
}

fn reserved(order_id: u128, quantity: u32, total: u32) -> ProductEvent {
    ProductEvent::StockReserved {
        order_id: order(order_id),
        quantity,
        reserved: total,
    }
}

fn discontinued() -> ProductEvent {
    ProductEvent::ProductDiscontinued {
        reason: reason("end of line"),
    }
}

fn create_command(stock: u32) -> ProductCommand {
    let ProductEvent::ProductCreated {
        product_id,
        sku,
        name,
        description,
        category,
        price,
        initial_stock: _,
    } = created(0)
    else {
        unreachable!()
    };
    ProductCommand::Create {
        product_id,
        sku,
        name,
        description,
        category,
        price,
        initial_stock: stock,
    }
}

#[test]
fn creating_a_product_records_it_with_its_stock() {
    Test::with(())
        .given_no_previous_events()
        .when(create_command(5))
        .then_expect_events(vec![created(5)]);
}

#[test]
fn creating_twice_is_refused() {
    Test::with(())
        .given(vec![created(5)])
        .when(create_command(5))
        .then_expect_error(ProductError::AlreadyExists);
}

#[test]
fn creating_with_absurd_stock_is_refused() {
    Test::with(())
        .given_no_previous_events()
        .when(create_command(MAX_STOCK + 1))
        .then_expect_error(ProductError::StockOutOfRange);
}

#[test]
fn commands_on_a_missing_product_are_not_found() {
    for command in [
        ProductCommand::ChangePrice { price: eur(1) },
        ProductCommand::AdjustStock {
            delta: 1,
            reason: reason("restock"),
        },
        ProductCommand::Reserve {
            order_id: order(1),
            quantity: qty(1),
        },
        ProductCommand::CommitReservation { order_id: order(1) },
        ProductCommand::Discontinue {
            reason: reason("x"),
        },
    ] {
        Test::with(())
            .given_no_previous_events()
            .when(command)
            .then_expect_error(ProductError::NotFound);
    }
}

#[test]
fn changing_details_records_the_full_new_details() {
    Test::with(())
        .given(vec![created(1)])
        .when(ProductCommand::ChangeDetails {
            name: Some(ProductName::parse("Big mug").unwrap()),
            description: None,
            category: None,
        })
        .then_expect_events(vec![ProductEvent::ProductDetailsChanged {
            name: ProductName::parse("Big mug").unwrap(),
            description: Description::parse("A mug").unwrap(),
            category: Category::parse("kitchen").unwrap(),
        }]);
}

#[test]
fn changing_details_to_the_same_values_records_nothing() {
    Test::with(())
        .given(vec![created(1)])
        .when(ProductCommand::ChangeDetails {
            name: Some(ProductName::parse("Mug").unwrap()),
            description: None,
            category: None,
        })
        .then_expect_events(vec![]);
}

#[test]
fn changing_the_price_records_old_and_new() {
    Test::with(())
        .given(vec![created(1)])
        .when(ProductCommand::ChangePrice { price: eur(1500) })
        .then_expect_events(vec![ProductEvent::ProductPriceChanged {
            previous: eur(1200),
            price: eur(1500),
        }]);
}

#[test]
fn changing_the_price_currency_is_refused() {
    Test::with(())
        .given(vec![created(1)])
        .when(ProductCommand::ChangePrice { price: usd(1500) })
        .then_expect_error(ProductError::CurrencyChange {
            from: eur(0).currency(),
            to: usd(0).currency(),
        });
}

#[test]
fn a_discontinued_product_takes_no_price_details_or_reservation() {
    for command in [
        ProductCommand::ChangePrice { price: eur(1) },
        ProductCommand::ChangeDetails {
            name: None,
            description: None,
            category: None,
        },
        ProductCommand::Reserve {
            order_id: order(1),
            quantity: qty(1),
        },
        ProductCommand::Discontinue {
            reason: reason("again"),
        },
    ] {
        Test::with(())
            .given(vec![created(3), discontinued()])
            .when(command)
            .then_expect_error(ProductError::Discontinued);
    }
}

#[test]
fn discontinuing_records_the_reason() {
    Test::with(())
        .given(vec![created(3)])
        .when(ProductCommand::Discontinue {
            reason: reason("end of line"),
        })
        .then_expect_events(vec![discontinued()]);
}

#[test]
fn restocking_records_the_new_level() {
    Test::with(())
        .given(vec![created(3)])
        .when(ProductCommand::AdjustStock {
            delta: 7,
            reason: reason("delivery"),
        })
        .then_expect_events(vec![ProductEvent::StockAdjusted {
            delta: 7,
            reason: reason("delivery"),
            on_hand: 10,
        }]);
}

#[test]
fn a_correction_may_not_go_below_what_is_reserved() {
    Test::with(())
        .given(vec![created(5), reserved(1, 4, 4)])
        .when(ProductCommand::AdjustStock {
            delta: -2,
            reason: reason("broken"),
        })
        .then_expect_error(ProductError::BelowReserved {
            would_be: 3,
            reserved: 4,
        });
}

#[test]
fn a_zero_or_huge_stock_change_is_refused() {
    for delta in [0, i64::from(MAX_STOCK) + 1, i64::MIN] {
        Test::with(())
            .given(vec![created(5)])
            .when(ProductCommand::AdjustStock {
                delta,
                reason: reason("typo"),
            })
            .then_expect_error(ProductError::StockOutOfRange);
    }
}

#[test]
fn stock_on_hand_may_not_exceed_the_maximum() {
    Test::with(())
        .given(vec![created(MAX_STOCK)])
        .when(ProductCommand::AdjustStock {
            delta: 1,
            reason: reason("delivery"),
        })
        .then_expect_error(ProductError::StockOutOfRange);
}

#[test]
fn discontinued_stock_can_still_be_written_off() {
    Test::with(())
        .given(vec![created(3), discontinued()])
        .when(ProductCommand::AdjustStock {
            delta: -3,
            reason: reason("scrapped"),
        })
        .then_expect_events(vec![ProductEvent::StockAdjusted {
            delta: -3,
            reason: reason("scrapped"),
            on_hand: 0,
        }]);
}

#[test]
fn reserving_holds_units_for_the_order() {
    Test::with(())
        .given(vec![created(5), reserved(1, 2, 2)])
        .when(ProductCommand::Reserve {
            order_id: order(2),
            quantity: qty(3),
        })
        .then_expect_events(vec![reserved(2, 3, 5)]);
}

#[test]
fn reserving_more_than_available_is_refused() {
    Test::with(())
        .given(vec![created(5), reserved(1, 3, 3)])
        .when(ProductCommand::Reserve {
            order_id: order(2),
            quantity: qty(3),
        })
        .then_expect_error(ProductError::InsufficientStock {
            requested: 3,
            available: 2,
        });
}

#[test]
fn reserving_again_for_the_same_order_is_a_no_op() {
    Test::with(())
        .given(vec![created(5), reserved(1, 2, 2)])
        .when(ProductCommand::Reserve {
            order_id: order(1),
            quantity: qty(2),
        })
        .then_expect_events(vec![]);
}

#[test]
fn reserving_a_different_quantity_for_the_same_order_is_refused() {
    Test::with(())
        .given(vec![created(5), reserved(1, 2, 2)])
        .when(ProductCommand::Reserve {
            order_id: order(1),
            quantity: qty(3),
        })
        .then_expect_error(ProductError::ReservationMismatch {
            order_id: order(1),
            held: 2,
            requested: 3,
        });
}

#[test]
fn releasing_frees_the_orders_units() {
    Test::with(())
        .given(vec![created(5), reserved(1, 2, 2), reserved(2, 1, 3)])
        .when(ProductCommand::ReleaseReservation {
            order_id: order(1),
            reason: reason("payment declined"),
        })
        .then_expect_events(vec![ProductEvent::ReservationReleased {
            order_id: order(1),
            quantity: 2,
            reason: reason("payment declined"),
            reserved: 1,
        }]);
}

#[test]
fn releasing_what_is_not_held_is_a_no_op() {
    Test::with(())
        .given(vec![created(5)])
        .when(ProductCommand::ReleaseReservation {
            order_id: order(1),
            reason: reason("cancelled"),
        })
        .then_expect_events(vec![]);
}

#[test]
fn committing_takes_the_held_units_out_of_stock() {
    Test::with(())
        .given(vec![created(5), reserved(1, 2, 2), discontinued()])
        .when(ProductCommand::CommitReservation { order_id: order(1) })
        .then_expect_events(vec![ProductEvent::ReservationCommitted {
            order_id: order(1),
            quantity: 2,
            on_hand: 3,
            reserved: 0,
        }]);
}

#[test]
fn committing_without_a_reservation_is_refused() {
    Test::with(())
        .given(vec![created(5)])
        .when(ProductCommand::CommitReservation { order_id: order(9) })
        .then_expect_error(ProductError::NoReservation(order(9)));
}

#[test]
fn available_is_on_hand_minus_reserved() {
    let mut product = Product::default();
    for event in [created(10), reserved(1, 3, 3), reserved(2, 2, 5)] {
        crate::Decider::evolve(&mut product, event);
    }
    let state = product.state().unwrap();
    assert_eq!(
        (state.on_hand, state.reserved(), state.available()),
        (10, 5, 5)
    );
}
