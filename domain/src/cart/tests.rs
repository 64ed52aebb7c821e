use super::*;
use crate::test_support::*;
use cqrs_es::test::TestFramework;

type Test = TestFramework<Cart>;

fn cart(n: u128) -> CartId {
    CartId::from_uuid(uuid(0x0_ca70 + n))
}

fn opened() -> CartEvent {
    CartEvent::CartOpened {
        cart_id: cart(1),
        owner: user(1),
    }
}

fn added(product_id: u128, quantity: u32, line_quantity: u32) -> CartEvent {
    CartEvent::CartItemAdded {
        product_id: product(product_id),
        quantity: qty(quantity),
        line_quantity: qty(line_quantity),
    }
}

fn checked_out() -> CartEvent {
    CartEvent::CartCheckedOut {
        order_id: order(1),
        owner: user(1),
        lines: vec![line(1, 2, eur(500))],
        total: eur(1000),
        shipping_address: address(),
        payment_method: method("pm_card_ok"),
    }
}

/// A cart holding `n` products, one unit each.
fn full(n: usize) -> Vec<CartEvent> {
    let mut events = vec![opened()];
    events.extend((1..=n as u128).map(|p| added(p, 1, 1)));
    events
}

fn quantity_set(product_id: u128, quantity: u32) -> CartEvent {
    CartEvent::CartItemQuantitySet {
        product_id: product(product_id),
        quantity: qty(quantity),
    }
}

fn removed(product_id: u128) -> CartEvent {
    CartEvent::CartItemRemoved {
        product_id: product(product_id),
    }
}

fn line(product_id: u128, quantity: u32, unit_price: Money) -> OrderLine {
    OrderLine::price(product(product_id), qty(quantity), unit_price).unwrap()
}

fn check_out(lines: Vec<OrderLine>) -> CartCommand {
    CartCommand::CheckOut {
        order_id: order(1),
        lines,
        shipping_address: address(),
        payment_method: method("pm_card_ok"),
    }
}

fn add(product_id: u128, quantity: u32) -> CartCommand {
    CartCommand::AddItem {
        product_id: product(product_id),
        quantity: qty(quantity),
    }
}

fn set(product_id: u128, quantity: u32) -> CartCommand {
    CartCommand::SetItemQuantity {
        product_id: product(product_id),
        quantity,
    }
}

fn remove(product_id: u128) -> CartCommand {
    CartCommand::RemoveItem {
        product_id: product(product_id),
    }
}

#[test]
fn opening_records_an_empty_cart_for_its_owner() {
    Test::with(())
        .given_no_previous_events()
        .when(CartCommand::Open {
            cart_id: cart(1),
            owner: user(1),
        })
        .then_expect_events(vec![opened()]);
}

#[test]
fn opening_twice_is_refused() {
    Test::with(())
        .given(vec![opened()])
        .when(CartCommand::Open {
            cart_id: cart(1),
            owner: user(1),
        })
        .then_expect_error(CartError::AlreadyExists);
}

#[test]
fn commands_on_a_missing_cart_are_not_found() {
    for command in [
        add(1, 1),
        set(1, 1),
        remove(1),
        check_out(vec![line(1, 1, eur(1))]),
    ] {
        Test::with(())
            .given_no_previous_events()
            .when(command)
            .then_expect_error(CartError::NotFound);
    }
}

#[test]
fn a_checked_out_cart_accepts_no_command_at_all() {
    for command in [
        CartCommand::Open {
            cart_id: cart(1),
            owner: user(1),
        },
        add(1, 1),
        set(1, 3),
        set(1, 0),
        remove(1),
        check_out(vec![line(1, 2, eur(500))]),
    ] {
        Test::with(())
            .given(vec![opened(), added(1, 2, 2), checked_out()])
            .when(command)
            .then_expect_error(CartError::CheckedOut);
    }
}

#[test]
fn adding_a_new_product_starts_its_line() {
    Test::with(())
        .given(vec![opened()])
        .when(add(1, 2))
        .then_expect_events(vec![added(1, 2, 2)]);
}

#[test]
fn adding_a_product_already_in_the_cart_adds_to_its_line() {
    Test::with(())
        .given(vec![opened(), added(1, 2, 2)])
        .when(add(1, 3))
        .then_expect_events(vec![added(1, 3, 5)]);
}

#[test]
fn adding_past_the_largest_line_quantity_is_refused() {
    Test::with(())
        .given(vec![opened(), added(1, Quantity::MAX, Quantity::MAX)])
        .when(add(1, 1))
        .then_expect_error(CartError::QuantityTooLarge);
}

#[test]
fn adding_a_new_line_to_a_full_cart_is_refused() {
    Test::with(())
        .given(full(MAX_LINES))
        .when(add(MAX_LINES as u128 + 1, 1))
        .then_expect_error(CartError::TooManyLines);
}

#[test]
fn a_full_cart_still_takes_more_of_a_product_it_holds() {
    Test::with(())
        .given(full(MAX_LINES))
        .when(add(1, 1))
        .then_expect_events(vec![added(1, 1, 2)]);
}

#[test]
fn setting_a_quantity_replaces_the_lines_quantity() {
    Test::with(())
        .given(vec![opened(), added(1, 2, 2)])
        .when(set(1, 7))
        .then_expect_events(vec![quantity_set(1, 7)]);
}

#[test]
fn setting_a_quantity_for_a_new_product_creates_its_line() {
    Test::with(())
        .given(vec![opened()])
        .when(set(1, 4))
        .then_expect_events(vec![quantity_set(1, 4)]);
}

#[test]
fn setting_the_current_quantity_records_nothing() {
    Test::with(())
        .given(vec![opened(), added(1, 2, 2)])
        .when(set(1, 2))
        .then_expect_events(vec![]);
}

#[test]
fn setting_a_quantity_of_zero_removes_the_line() {
    Test::with(())
        .given(vec![opened(), added(1, 2, 2)])
        .when(set(1, 0))
        .then_expect_events(vec![removed(1)]);
}

#[test]
fn setting_zero_for_a_product_not_in_the_cart_records_nothing() {
    Test::with(())
        .given(vec![opened(), added(1, 2, 2)])
        .when(set(2, 0))
        .then_expect_events(vec![]);
}

#[test]
fn setting_a_quantity_above_the_maximum_is_refused() {
    Test::with(())
        .given(vec![opened(), added(1, 2, 2)])
        .when(set(1, Quantity::MAX + 1))
        .then_expect_error(CartError::QuantityTooLarge);
}

#[test]
fn setting_a_quantity_for_a_new_line_in_a_full_cart_is_refused() {
    Test::with(())
        .given(full(MAX_LINES))
        .when(set(MAX_LINES as u128 + 1, 1))
        .then_expect_error(CartError::TooManyLines);
}

#[test]
fn removing_a_product_records_it() {
    Test::with(())
        .given(vec![opened(), added(1, 2, 2)])
        .when(remove(1))
        .then_expect_events(vec![removed(1)]);
}

#[test]
fn removing_a_product_not_in_the_cart_is_refused() {
    Test::with(())
        .given(vec![opened(), added(1, 2, 2)])
        .when(remove(2))
        .then_expect_error(CartError::LineNotFound(product(2)));
}

#[test]
fn checking_out_records_the_priced_lines_and_their_total() {
    Test::with(())
        .given(vec![opened(), added(1, 2, 2)])
        .when(check_out(vec![line(1, 2, eur(500))]))
        .then_expect_events(vec![checked_out()]);
}

#[test]
fn checking_out_accepts_the_lines_in_any_order() {
    let lines = vec![line(2, 1, eur(300)), line(1, 2, eur(500))];
    Test::with(())
        .given(vec![opened(), added(1, 2, 2), added(2, 1, 1)])
        .when(check_out(lines.clone()))
        .then_expect_events(vec![CartEvent::CartCheckedOut {
            order_id: order(1),
            owner: user(1),
            lines,
            total: eur(1300),
            shipping_address: address(),
            payment_method: method("pm_card_ok"),
        }]);
}

#[test]
fn checking_out_an_empty_cart_is_refused() {
    for lines in [vec![], vec![line(1, 1, eur(1))]] {
        Test::with(())
            .given(vec![opened(), added(1, 1, 1), removed(1)])
            .when(check_out(lines))
            .then_expect_error(CartError::EmptyCart);
    }
}

#[test]
fn checking_out_lines_that_differ_from_the_cart_is_refused() {
    for lines in [
        vec![],
        vec![line(1, 3, eur(500))],
        vec![line(1, 2, eur(500))],
        vec![line(1, 2, eur(500)), line(2, 1, eur(1)), line(3, 1, eur(1))],
        vec![line(1, 2, eur(500)), line(1, 2, eur(500))],
        vec![line(1, 2, eur(500)), line(3, 1, eur(1))],
    ] {
        Test::with(())
            .given(vec![opened(), added(1, 2, 2), added(2, 1, 1)])
            .when(check_out(lines))
            .then_expect_error(CartError::LinesChanged);
    }
}

#[test]
fn checking_out_lines_in_two_currencies_is_refused() {
    Test::with(())
        .given(vec![opened(), added(1, 1, 1), added(2, 1, 1)])
        .when(check_out(vec![line(1, 1, eur(1)), line(2, 1, usd(1))]))
        .then_expect_error(CartError::Money(MoneyError::CurrencyMismatch {
            left: eur(0).currency(),
            right: usd(0).currency(),
        }));
}

#[test]
fn checking_out_a_total_that_overflows_is_refused() {
    Test::with(())
        .given(vec![opened(), added(1, 1, 1), added(2, 1, 1)])
        .when(check_out(vec![
            line(1, 1, eur(i64::MAX)),
            line(2, 1, eur(1)),
        ]))
        .then_expect_error(CartError::Money(MoneyError::Overflow));
}

#[test]
fn events_keep_lines_in_the_order_they_were_added() {
    let mut cart_agg = Cart::default();
    for event in [
        opened(),
        added(3, 1, 1),
        added(1, 2, 2),
        added(2, 1, 1),
        added(3, 4, 5),
        removed(1),
        quantity_set(2, 9),
        quantity_set(4, 1),
    ] {
        crate::Decider::evolve(&mut cart_agg, event);
    }
    let lines: Vec<_> = cart_agg
        .state()
        .unwrap()
        .lines
        .iter()
        .map(|l| (l.product_id, l.quantity.get()))
        .collect();
    assert_eq!(
        lines,
        vec![(product(3), 5), (product(2), 9), (product(4), 1)]
    );
}

#[test]
fn checking_out_keeps_the_cart_and_remembers_the_order() {
    let mut cart_agg = Cart::default();
    for event in [opened(), added(1, 2, 2), checked_out()] {
        crate::Decider::evolve(&mut cart_agg, event);
    }
    let Cart::CheckedOut {
        cart: state,
        order_id,
    } = &cart_agg
    else {
        panic!("not checked out: {cart_agg:?}");
    };
    assert_eq!(*order_id, order(1));
    assert_eq!(state.owner, user(1));
    assert_eq!(state.line(product(1)).map(|l| l.quantity), Some(qty(2)));
    assert_eq!(cart_agg.state(), Some(state));
}

#[test]
fn refusals_map_to_their_kinds() {
    use crate::{Refusal, RefusalKind};
    assert_eq!(CartError::NotFound.kind(), RefusalKind::NotFound);
    assert_eq!(CartError::AlreadyExists.kind(), RefusalKind::AlreadyExists);
    for rejected in [
        CartError::CheckedOut,
        CartError::EmptyCart,
        CartError::LinesChanged,
        CartError::Money(MoneyError::Overflow),
    ] {
        assert_eq!(rejected.kind(), RefusalKind::Rejected);
    }
}
