//! The schema itself enforces the rules, whatever code writes to it: a second row for the same
//! shop order, channel order id, tracking event, webhook, notification or rate-cache key is
//! refused by the database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use shipping_store::entities::{notification, order, rate_cache, shipment, webhook_inbox};
use shipping_store::{IngestOutcome, now};
use support::{TestStore, new_order};

on_both_backends!(uniqueness_rules_hold_at_the_database, |ts: &TestStore| {
    let store = ts.store.clone();
    async move {
        let IngestOutcome::Created { shipment_id, order_id } = store.ingest_order(new_order("UQ-1")).await.unwrap()
        else {
            panic!()
        };
        let db = store.db();
        let at = now();

        let dup_order = order::ActiveModel {
            shop_order_id: Set("UQ-1".into()),
            payload_hash: Set("x".into()),
            payload: Set("{}".into()),
            payment_method: Set("prepaid".into()),
            cod_amount_paise: Set(0),
            total_paise: Set(0),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        };
        assert!(dup_order.insert(db).await.is_err(), "one order per shop order id");

        let existing = shipment::Entity::find_by_id(shipment_id).one(db).await.unwrap().unwrap();
        let mut dup_shipment: shipment::ActiveModel = existing.into();
        dup_shipment = dup_shipment.reset_all();
        dup_shipment.id = sea_orm::ActiveValue::NotSet;
        dup_shipment.tracking_token = Set("another-token".into());
        dup_shipment.order_id = Set(order_id);
        assert!(dup_shipment.insert(db).await.is_err(), "one shipment per channel order id");

        let hook = |key: &str| webhook_inbox::ActiveModel {
            dedupe_key: Set(key.into()),
            awb: Set("1".into()),
            payload: Set("{}".into()),
            received_at: Set(at),
            ..Default::default()
        };
        hook("A|20|t").insert(db).await.unwrap();
        assert!(hook("A|20|t").insert(db).await.is_err(), "one inbox row per webhook");

        let note = || notification::ActiveModel {
            shipment_id: Set(shipment_id),
            kind: Set("delivered".into()),
            recipient: Set("a***@example.com".into()),
            status: Set("pending".into()),
            created_at: Set(at),
            ..Default::default()
        };
        note().insert(db).await.unwrap();
        assert!(note().insert(db).await.is_err(), "one notification per shipment and kind");

        let rate = || rate_cache::ActiveModel {
            pickup_pincode: Set("411013".into()),
            delivery_pincode: Set("560001".into()),
            weight_slab_grams: Set(500),
            cod: Set(true),
            response: Set("{}".into()),
            fetched_at: Set(at),
            expires_at: Set(at),
            ..Default::default()
        };
        rate().insert(db).await.unwrap();
        assert!(rate().insert(db).await.is_err(), "one cache entry per (pickup, delivery, slab, cod)");
    }
});
