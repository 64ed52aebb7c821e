//! A generated shop history, appended to a real event store: products, users, carts that
//! check out, orders that get paid, shipped, cancelled or refunded.

#![allow(dead_code)]

pub mod mongo;

use chrono::Utc;
use cqrs_es::DomainEvent;
use domain::cart::CartEvent;
use domain::order::OrderEvent;
use domain::payment::PaymentEvent;
use domain::product::ProductEvent;
use domain::shipment::ShipmentEvent;
use domain::user::UserEvent;
use domain::values::*;
use infra::event_store::{AppendRequest, EventMetadata, EventStore, ExpectedVersion, NewEvent};
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

/// Appends events to streams, tracking versions.
pub struct Writer<'a> {
    store: &'a dyn EventStore,
    versions: HashMap<String, u64>,
}

impl<'a> Writer<'a> {
    pub fn new(store: &'a dyn EventStore) -> Self {
        Self {
            store,
            versions: HashMap::new(),
        }
    }

    pub async fn append<E: DomainEvent>(&mut self, stream: &str, events: &[E]) {
        let version = self.versions.entry(stream.to_owned()).or_default();
        let new = events
            .iter()
            .map(|e| {
                let (t, v, p) = infra::event_store::codec::encode(e).unwrap();
                NewEvent::new(t, v, p)
            })
            .collect();
        self.store
            .append(AppendRequest {
                stream: stream.to_owned(),
                expected: ExpectedVersion::Exact(*version),
                events: new,
                metadata: EventMetadata::new(Utc::now()),
            })
            .await
            .unwrap();
        *version += events.len() as u64;
    }
}

fn eur(cents: i64) -> Money {
    Money::new(cents, Currency::parse("EUR").unwrap()).unwrap()
}

fn address() -> Address {
    serde_json::from_value(serde_json::json!({"name": "Ann", "line1": "Main St 1",
        "city": "Berlin", "postal_code": "10115", "country": "DE"}))
    .unwrap()
}

/// A small deterministic random source.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// The products and users orders are made of.
pub struct World {
    products: Vec<Uuid>,
    users: Vec<Uuid>,
    rng: Rng,
}

/// Creates `products` products and a few users.
pub async fn world(w: &mut Writer<'_>, products: usize, seed: u64) -> World {
    let product_ids: Vec<Uuid> = (0..products).map(|_| Uuid::now_v7()).collect();
    for (i, id) in product_ids.iter().enumerate() {
        w.append(
            &format!("product-{id}"),
            &[ProductEvent::ProductCreated {
                product_id: (*id).into(),
                sku: Sku::parse(&format!("SKU-{seed}-{i}")).unwrap(),
                name: ProductName::parse(&format!("Product {i} mug")).unwrap(),
                description: Description::parse("").unwrap(),
                category: Category::parse(["kitchen", "tea", "garden"][i % 3]).unwrap(),
                price: eur(100 + (i as i64 * 37) % 5000),
                initial_stock: 1_000_000,
            }],
        )
        .await;
    }
    let users: Vec<Uuid> = (0..5).map(|_| Uuid::now_v7()).collect();
    for (i, user) in users.iter().enumerate() {
        w.append(
            &format!("user-{user}"),
            &[UserEvent::UserRegistered {
                user_id: (*user).into(),
                email: Email::parse(&format!("u{seed}-{i}@example.com")).unwrap(),
                name: PersonName::parse("User").unwrap(),
                password_hash: PasswordHash::parse("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA")
                    .unwrap(),
                roles: BTreeSet::from([Role::Customer]),
            }],
        )
        .await;
    }
    World {
        products: product_ids,
        users,
        rng: Rng::new(seed),
    }
}

/// Writes `orders` orders over `products` products and a few users.
pub async fn shop(store: &dyn EventStore, products: usize, orders: usize, seed: u64) {
    let mut w = Writer::new(store);
    let mut world = world(&mut w, products, seed).await;
    for n in 0..orders {
        world.order(&mut w, n).await;
    }
}

impl World {
    /// One order's story: a cart checked out, stock reserved, then declined (one in seven),
    /// refunded before shipping (one in five), or paid, shipped and delivered.
    pub async fn order(&mut self, w: &mut Writer<'_>, n: usize) {
        let customer = self.users[self.rng.below(self.users.len() as u64) as usize];
        let (cart, order, payment, shipment) = (
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
        );
        let product = self.products[self.rng.below(self.products.len() as u64) as usize];
        let quantity = Quantity::new(1 + self.rng.below(3) as u32).unwrap();
        let line = OrderLine::price(product.into(), quantity, eur(250)).unwrap();
        let total = line.line_total;
        w.append(
            &format!("cart-{cart}"),
            &[
                CartEvent::CartOpened {
                    cart_id: cart.into(),
                    owner: customer.into(),
                },
                CartEvent::CartItemAdded {
                    product_id: product.into(),
                    quantity,
                    line_quantity: quantity,
                },
                CartEvent::CartCheckedOut {
                    order_id: order.into(),
                    owner: customer.into(),
                    lines: vec![line.clone()],
                    total,
                    shipping_address: address(),
                    payment_method: PaymentMethod::parse("pm_card_ok").unwrap(),
                },
            ],
        )
        .await;
        let o = format!("order-{order}");
        w.append(
            &o,
            &[OrderEvent::OrderPlaced {
                order_id: order.into(),
                customer: customer.into(),
                cart_id: Some(cart.into()),
                lines: vec![line],
                total,
                shipping_address: address(),
                payment_method: PaymentMethod::parse("pm_card_ok").unwrap(),
                placed_at: Utc::now(),
            }],
        )
        .await;
        let p = format!("product-{product}");
        w.append(
            &p,
            &[ProductEvent::StockReserved {
                order_id: order.into(),
                quantity: quantity.get(),
                reserved: 0,
            }],
        )
        .await;
        w.append(&o, &[OrderEvent::OrderStockReserved {}]).await;
        let pay = format!("payment-{payment}");
        w.append(
            &pay,
            &[PaymentEvent::PaymentRequested {
                payment_id: payment.into(),
                order_id: order.into(),
                amount: total,
                method: PaymentMethod::parse("pm_card_ok").unwrap(),
            }],
        )
        .await;
        if n % 7 == 3 {
            w.append(
                &pay,
                &[PaymentEvent::PaymentDeclined {
                    reason: Reason::parse("declined").unwrap(),
                }],
            )
            .await;
            w.append(
                &o,
                &[OrderEvent::OrderPaymentDeclined {
                    payment_id: payment.into(),
                    reason: Reason::parse("declined").unwrap(),
                }],
            )
            .await;
            w.append(
                &p,
                &[ProductEvent::ReservationReleased {
                    order_id: order.into(),
                    quantity: quantity.get(),
                    reason: Reason::parse("declined").unwrap(),
                    reserved: 0,
                }],
            )
            .await;
            return;
        }
        w.append(
            &pay,
            &[
                PaymentEvent::PaymentAuthorized {
                    provider_reference: ProviderReference::parse("auth").unwrap(),
                },
                PaymentEvent::PaymentCaptured { amount: total },
            ],
        )
        .await;
        w.append(
            &o,
            &[
                OrderEvent::OrderPaymentAuthorized {
                    payment_id: payment.into(),
                },
                OrderEvent::OrderPaid {
                    payment_id: payment.into(),
                },
            ],
        )
        .await;
        let s = format!("shipment-{shipment}");
        w.append(
            &s,
            &[ShipmentEvent::ShipmentCreated {
                shipment_id: shipment.into(),
                order_id: order.into(),
                address: address(),
            }],
        )
        .await;
        if n % 5 == 1 {
            w.append(
                &pay,
                &[PaymentEvent::PaymentRefunded {
                    amount: total,
                    reason: Reason::parse("refund").unwrap(),
                    total_refunded: total,
                }],
            )
            .await;
            return;
        }
        w.append(
            &s,
            &[
                ShipmentEvent::ShipmentDispatched {
                    carrier: Carrier::parse("DHL").unwrap(),
                    tracking_number: TrackingNumber::parse("T1").unwrap(),
                    dispatched_at: Utc::now(),
                },
                ShipmentEvent::ShipmentDelivered {
                    delivered_at: Utc::now(),
                },
            ],
        )
        .await;
        w.append(
            &o,
            &[
                OrderEvent::OrderShipped {
                    shipment_id: shipment.into(),
                },
                OrderEvent::OrderDelivered {},
            ],
        )
        .await;
        w.append(
            &p,
            &[ProductEvent::ReservationCommitted {
                order_id: order.into(),
                quantity: quantity.get(),
                on_hand: 1_000_000,
                reserved: 0,
            }],
        )
        .await;
    }
}
