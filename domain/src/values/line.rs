//! Priced lines: a product, a quantity and the unit price captured at checkout.

use super::{Money, MoneyError, ProductId, Quantity};
use serde::{Deserialize, Serialize};

/// One line of a checkout or an order. The line total is computed on construction and is
/// always `unit_price × quantity`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    /// The product.
    pub product_id: ProductId,
    /// Units.
    pub quantity: Quantity,
    /// Price of one unit when the line was priced.
    pub unit_price: Money,
    /// `unit_price × quantity`.
    pub line_total: Money,
}

impl OrderLine {
    /// Prices a line, refusing a total that overflows.
    pub fn price(
        product_id: ProductId,
        quantity: Quantity,
        unit_price: Money,
    ) -> Result<Self, MoneyError> {
        let line_total = unit_price.checked_mul(quantity.get())?;
        Ok(Self {
            product_id,
            quantity,
            unit_price,
            line_total,
        })
    }

    /// The sum of the lines' totals: one currency, no overflow; `None` for no lines.
    pub fn total(lines: &[OrderLine]) -> Result<Option<Money>, MoneyError> {
        Money::sum(lines.iter().map(|l| &l.line_total))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::*;

    #[test]
    fn a_line_total_is_unit_price_times_quantity() {
        let line = OrderLine::price(product(1), qty(3), eur(250)).unwrap();
        assert_eq!(line.line_total, eur(750));
    }

    #[test]
    fn lines_in_two_currencies_have_no_total() {
        let lines = [
            OrderLine::price(product(1), qty(1), eur(1)).unwrap(),
            OrderLine::price(product(2), qty(1), usd(1)).unwrap(),
        ];
        assert!(matches!(
            OrderLine::total(&lines),
            Err(MoneyError::CurrencyMismatch { .. })
        ));
    }

    #[test]
    fn an_overflowing_line_is_refused() {
        assert_eq!(
            OrderLine::price(product(1), qty(2), eur(i64::MAX)),
            Err(MoneyError::Overflow)
        );
    }
}
