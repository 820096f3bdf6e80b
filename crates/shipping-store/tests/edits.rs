//! `edit_order`: a correction is all or nothing, claimed by the shipment's version, on SQLite
//! and on real Postgres.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel, PaginatorTrait};
use serde_json::json;
use shipping_store::entities::{order, order_item, outbox};
use shipping_store::jobs::{Job, SyncOrderV1, UpdateOrderV1};
use shipping_store::{EditFollowUp, EditOutcome, IngestOutcome, NewOrderItem, OrderEditWrite, Store};
use support::{TestStore, new_order};

/// The outbox's jobs (the ingest's row of `new_order` is a placeholder, not a job: `None`).
async fn outbox_jobs(store: &Store) -> Vec<Option<Job>> {
    outbox::Entity::find().all(store.db()).await.unwrap().iter().map(|r| Job::from_payload(&r.payload).ok()).collect()
}

fn write(order_id: i64, shipment_id: i64, version: i32, follow_up: EditFollowUp) -> OrderEditWrite {
    OrderEditWrite {
        order_id,
        shipment_id,
        shipment_version: version,
        payload: json!({"id": "ED-1", "items": [{"sku": "TSH-BLU-M", "units": 1}, {"sku": "TSH-RED-M", "units": 1}]}),
        items: ["TSH-BLU-M", "TSH-RED-M"]
            .map(|sku| NewOrderItem {
                sku: sku.into(),
                name: format!("Cotton T-Shirt {sku}"),
                units: 1,
                unit_price_paise: 49_900,
                discount_paise: 0,
                tax_percent: 5.0,
                hsn: None,
                weight_grams: Some(300),
            })
            .to_vec(),
        follow_up,
        actor: "api:test".into(),
        changed: vec!["items".into()],
    }
}

on_both_backends!(edit_resets_a_failed_sync_with_one_job, |ts: &TestStore| {
    let store = ts.store.clone();
    async move {
        let IngestOutcome::Created { order_id, shipment_id } = store.ingest_order(new_order("ED-1")).await.unwrap()
        else {
            panic!("not created")
        };
        let hash_before = store.order(order_id).await.unwrap().unwrap().payload_hash;
        let mut failed = store.shipment(shipment_id).await.unwrap().unwrap().into_active_model();
        failed.sync_status = Set("failed".into());
        failed.state = Set("sync_failed".into());
        failed.sync_error = Set(Some("Oops! Invalid Data.".into()));
        failed.next_sync_at = Set(Some(chrono::Utc::now()));
        // Refused too often: it waits for a person, who now corrects it.
        failed.attention_reason = Set(Some("validation_error".into()));
        failed.waiting_since = Set(Some(chrono::Utc::now() - chrono::Duration::days(1)));
        let failed = failed.update(store.db()).await.unwrap();
        let jobs_before = outbox_jobs(&store).await.len();

        // A stale version (someone changed the shipment since it was checked): nothing at all.
        let stale = write(order_id, shipment_id, failed.version - 1, EditFollowUp::Resync);
        assert_eq!(store.edit_order(&stale).await.unwrap(), EditOutcome::Stale);
        assert_eq!(outbox_jobs(&store).await.len(), jobs_before);
        assert_eq!(order_item::Entity::find().count(store.db()).await.unwrap(), 1, "items untouched");
        assert!(store.audit_trail("shipment", shipment_id).await.unwrap().is_empty());

        let edit = write(order_id, shipment_id, failed.version, EditFollowUp::Resync);
        assert_eq!(store.edit_order(&edit).await.unwrap(), EditOutcome::Applied { job: Some("sync_order") });
        let s = store.shipment(shipment_id).await.unwrap().unwrap();
        assert_eq!((s.sync_status.as_str(), s.state.as_str()), ("pending", "pending_sync"));
        assert_eq!((s.sync_error, s.next_sync_at), (None, None), "the retry cron no longer sees it");
        assert_eq!(s.attention_reason, None, "the correction is the person's answer");
        assert!(s.waiting_since.unwrap() > chrono::Utc::now() - chrono::Duration::hours(1), "the wait starts again");
        let o: order::Model = store.order(order_id).await.unwrap().unwrap();
        assert_eq!(serde_json::from_str::<serde_json::Value>(&o.payload).unwrap(), edit.payload);
        assert_eq!(o.payload_hash, hash_before, "the order-paid event's replays stay replays");
        assert_eq!(order_item::Entity::find().count(store.db()).await.unwrap(), 2, "the items replaced");
        let jobs = outbox_jobs(&store).await;
        assert_eq!(jobs.len(), jobs_before + 1);
        assert_eq!(jobs.last(), Some(&Some(Job::SyncOrder(SyncOrderV1 { order_id, shipment_id }))));
        let audit = store.audit_trail("shipment", shipment_id).await.unwrap();
        assert_eq!(audit.len(), 1);
        assert_eq!((audit[0].action.as_str(), audit[0].actor.as_str()), ("edit_order", "api:test"));
        let details: serde_json::Value = serde_json::from_str(&audit[0].details).unwrap();
        assert_eq!(details, json!({"fields": ["items"], "job": "sync_order", "sync_reset": true}));

        // The same version again is stale now: an edit is applied once.
        assert_eq!(store.edit_order(&edit).await.unwrap(), EditOutcome::Stale);
        // After sync: the update job, and the sync left alone.
        let synced = store.shipment(shipment_id).await.unwrap().unwrap();
        let update = write(order_id, shipment_id, synced.version, EditFollowUp::UpdateAtShiprocket);
        assert_eq!(store.edit_order(&update).await.unwrap(), EditOutcome::Applied { job: Some("update_order") });
        assert_eq!(
            outbox_jobs(&store).await.last(),
            Some(&Some(Job::UpdateOrder(UpdateOrderV1 { order_id, shipment_id })))
        );
        assert_eq!(store.shipment(shipment_id).await.unwrap().unwrap().sync_status, "pending");
    }
});
