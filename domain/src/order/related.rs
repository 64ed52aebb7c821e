//! The ids of an order's payment and shipment, derived from the order id.
//!
//! The checkout process creates the payment and the shipment under these ids, so that a
//! replay after a crash finds them again instead of creating new ones; audits use the same
//! functions to find an order's streams without a read model.

use crate::values::{OrderId, PaymentId, ShipmentId};
use uuid::Uuid;

/// The UUID v5 namespace of the checkout process's derived ids: the payment and shipment of
/// an order, and the ids of the commands the process sends. Changing it would orphan every
/// stored payment and shipment.
pub const CHECKOUT_NAMESPACE: Uuid = Uuid::from_u128(0x2d6e_8f1a_c0b4_4e57_9b13_7a2f_5c8d_1e64);

/// The payment of an order.
pub fn payment_of(order: OrderId) -> PaymentId {
    Uuid::new_v5(&CHECKOUT_NAMESPACE, format!("payment:{order}").as_bytes()).into()
}

/// The shipment of an order.
pub fn shipment_of(order: OrderId) -> ShipmentId {
    Uuid::new_v5(&CHECKOUT_NAMESPACE, format!("shipment:{order}").as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_has_one_payment_and_one_shipment_and_they_differ() {
        let order = OrderId::from_uuid(Uuid::from_u128(1));
        let other = OrderId::from_uuid(Uuid::from_u128(2));
        assert_eq!(payment_of(order), payment_of(order));
        assert_ne!(payment_of(order), payment_of(other));
        assert_ne!(payment_of(order).as_uuid(), shipment_of(order).as_uuid());
        // Stored payments and shipments are named by these ids: they must never change.
        assert_eq!(
            payment_of(order).to_string(),
            "9016ba79-916c-5162-b952-482a52e000de"
        );
        assert_eq!(
            shipment_of(order).to_string(),
            "681ea618-1fa2-5beb-9072-6050d5038197"
        );
    }
}
