//! The payments and shipments models.

use super::*;
use projections::models::{payments, shipments};

#[test]
fn payments_and_shipments_track_their_lifecycles() {
    let mut log = Log::default();
    let pay = format!("payment-{}", id(4));
    log.add(
        pay.clone(),
        PaymentEvent::PaymentRequested {
            payment_id: id(4).into(),
            order_id: id(1).into(),
            amount: eur(2500),
            method: PaymentMethod::parse("pm_card_ok").unwrap(),
        },
        at(1, 9),
    )
    .add(
        pay.clone(),
        PaymentEvent::PaymentAuthorized {
            provider_reference: ProviderReference::parse("auth-1").unwrap(),
        },
        at(1, 9),
    )
    .add(
        pay.clone(),
        PaymentEvent::PaymentCaptured { amount: eur(2500) },
        at(1, 9),
    )
    .add(
        pay,
        PaymentEvent::PaymentRefunded {
            amount: eur(500),
            reason: Reason::parse("scratch").unwrap(),
            total_refunded: eur(500),
        },
        at(2, 9),
    );
    let ship = format!("shipment-{}", id(6));
    log.add(
        ship.clone(),
        ShipmentEvent::ShipmentCreated {
            shipment_id: id(6).into(),
            order_id: id(1).into(),
            address: address(),
        },
        at(1, 9),
    )
    .add(
        ship.clone(),
        ShipmentEvent::ShipmentDispatched {
            carrier: Carrier::parse("DHL").unwrap(),
            tracking_number: TrackingNumber::parse("JD1").unwrap(),
            dispatched_at: at(2, 8),
        },
        at(2, 8),
    )
    .add(
        ship.clone(),
        ShipmentEvent::ShipmentDeliveryFailed {
            reason: Reason::parse("nobody home").unwrap(),
            failed_at: at(3, 8),
        },
        at(3, 8),
    )
    .add(
        ship,
        ShipmentEvent::ShipmentDelivered {
            delivered_at: at(4, 8),
        },
        at(4, 8),
    );
    let payment = doc(&run(&payments::Payments, &log.0), payments::PAYMENTS, 4);
    assert_eq!(payment["status"], "partially_refunded");
    assert_eq!(payment["order_id"], id(1).to_string());
    assert_eq!(payment["refunded"]["amount"], 500);
    let shipment = doc(&run(&shipments::Shipments, &log.0), shipments::SHIPMENTS, 6);
    assert_eq!(shipment["status"], "delivered");
    let steps: Vec<_> = shipment["tracking"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["status"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(steps, ["pending", "dispatched", "failed", "delivered"]);
    assert_eq!(shipment["tracking"][1]["detail"], "DHL JD1");
}
