//! A refused sync is stored with its class beside Shiprocket's message, and both go together
//! when the sync succeeds or the order is corrected; migration 10 adds and removes the column —
//! on both backends.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::{Duration, Utc};
use sea_orm::EntityTrait;
use shipping_domain::{ShipmentState, SyncErrorClass, SyncStatus};
use shipping_migrations::{Migrator, MigratorTrait};
use shipping_store::entities::shipment;
use shipping_store::{EditFollowUp, EditOutcome, IngestOutcome, OrderEditWrite, Refused, Store};
use support::{TestStore, new_order};

async fn a_shipment(store: &Store, id: &str) -> (i64, i64) {
    match store.ingest_order(new_order(id)).await.unwrap() {
        IngestOutcome::Created { order_id, shipment_id } => (order_id, shipment_id),
        other => panic!("{other:?}"),
    }
}

async fn refuse(store: &Store, shipment_id: i64, class: SyncErrorClass, message: &str) -> Refused {
    store.record_sync_refused(shipment_id, class, message, Utc::now() + Duration::minutes(30), 3).await.unwrap()
}

async fn load(store: &Store, shipment_id: i64) -> shipment::Model {
    store.shipment(shipment_id).await.unwrap().unwrap()
}

on_both_backends!(a_refusal_stores_its_class_and_a_sync_clears_it, |ts: &TestStore| {
    let store = ts.store.clone();
    async move {
        let (_, id) = a_shipment(&store, "CLS-1").await;
        assert_eq!(shipping_store::sync_error_class_of(&load(&store, id).await), None, "nothing failed yet");

        let message = "shiprocket rejected the request: Wrong Pickup location entered.";
        assert_eq!(refuse(&store, id, SyncErrorClass::PickupLocation, message).await, Refused::RetryLater);
        let s = load(&store, id).await;
        assert_eq!(shipping_store::sync_error_class_of(&s), Some(SyncErrorClass::PickupLocation));
        assert_eq!(s.sync_error.as_deref(), Some(message));
        assert_eq!(shipping_store::sync_status_of(&s).unwrap(), SyncStatus::Failed);
        assert_eq!(shipping_store::state_of(&s).unwrap(), ShipmentState::SyncFailed);

        // The next refusal's class replaces the last one's.
        refuse(&store, id, SyncErrorClass::NotServiceable, "not serviceable: no courier").await;
        let s = load(&store, id).await;
        assert_eq!(shipping_store::sync_error_class_of(&s), Some(SyncErrorClass::NotServiceable));

        // The retry cron puts it back to pending; the last failure stays on show meanwhile.
        assert!(store.retry_failed_sync(id).await.unwrap());
        let s = load(&store, id).await;
        assert_eq!(shipping_store::sync_status_of(&s).unwrap(), SyncStatus::Pending);
        assert_eq!(shipping_store::sync_error_class_of(&s), Some(SyncErrorClass::NotServiceable));

        store.record_synced(id, 9001, Some(9002), false).await.unwrap();
        let s = load(&store, id).await;
        assert_eq!((s.sync_error.as_deref(), s.sync_error_class.as_deref()), (None, None));
        assert_eq!(shipping_store::sync_status_of(&s).unwrap(), SyncStatus::Synced);
    }
});

on_both_backends!(a_correction_clears_the_class_with_the_message, |ts: &TestStore| {
    let store = ts.store.clone();
    async move {
        let (order_id, id) = a_shipment(&store, "CLS-2").await;
        refuse(&store, id, SyncErrorClass::Refused, "shiprocket rejected the request: Oops! Invalid Data.").await;
        let s = load(&store, id).await;
        assert_eq!(shipping_store::sync_error_class_of(&s), Some(SyncErrorClass::Refused));

        let edit = OrderEditWrite {
            order_id,
            shipment_id: id,
            shipment_version: s.version,
            payload: serde_json::json!({"id": "CLS-2", "items": [{"sku": "TSH-BLU-M", "units": 1}]}),
            items: vec![],
            follow_up: EditFollowUp::ResetOnly,
            actor: "api:test".into(),
            changed: vec!["items".into()],
        };
        assert_eq!(store.edit_order(&edit).await.unwrap(), EditOutcome::Applied { job: None });
        let s = load(&store, id).await;
        assert_eq!((s.sync_error.as_deref(), s.sync_error_class.as_deref()), (None, None));
        assert_eq!(shipping_store::sync_status_of(&s).unwrap(), SyncStatus::Pending);
    }
});

on_both_backends!(migration_10_adds_and_drops_the_class_column, |ts: &TestStore| {
    let store = ts.store.clone();
    async move {
        let (_, id) = a_shipment(&store, "CLS-3").await;
        refuse(&store, id, SyncErrorClass::Auth, "shiprocket authentication failed (HTTP 403): no").await;

        Migrator::down(store.db(), Some(1)).await.unwrap();
        assert!(shipment::Entity::find().all(store.db()).await.is_err(), "the entity's column is gone");

        Migrator::up(store.db(), None).await.unwrap();
        let s = load(&store, id).await;
        assert_eq!(s.sync_error_class, None, "a row that failed before the column has no class");
        assert!(s.sync_error.is_some(), "its message is kept");
        refuse(&store, id, SyncErrorClass::Auth, "shiprocket authentication failed (HTTP 403): no").await;
        assert_eq!(shipping_store::sync_error_class_of(&load(&store, id).await), Some(SyncErrorClass::Auth));
    }
});
