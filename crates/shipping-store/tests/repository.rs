//! The repository suite, on SQLite and on real Postgres.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::{Duration, Utc};
use futures::future::join_all;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel, PaginatorTrait};
use shipping_domain::{Awb, Outcome, RawStatus, ShipmentState, TrackingEvent};
use shipping_store::entities::{order, outbox, shipment};
use shipping_store::{EventSource, IngestOutcome, Store, StoreError};
use support::{TestStore, job, new_order};

async fn count<E: EntityTrait>(store: &Store) -> u64
where
    E::Model: Sync,
{
    E::find().count(store.db()).await.unwrap()
}

on_both_backends!(migrations_run_up_down_and_up_again, |ts: &TestStore| {
    let store = ts.store.clone();
    async move {
        store.migrate_down().await.unwrap();
        assert!(order::Entity::find().count(store.db()).await.is_err(), "tables are gone after down");
        store.migrate().await.unwrap();
        store.ingest_order(new_order("MIG-1")).await.unwrap();
        assert_eq!(count::<order::Entity>(&store).await, 1);
        store.migrate().await.unwrap();
    }
});

on_both_backends!(ingest_is_idempotent_on_the_shop_order_id, |ts: &TestStore| {
    let store = ts.store.clone();
    async move {
        let first = store.ingest_order(new_order("ORD-1")).await.unwrap();
        let IngestOutcome::Created { order_id, shipment_id } = first else { panic!("{first:?}") };
        assert_eq!(
            store.ingest_order(new_order("ORD-1")).await.unwrap(),
            IngestOutcome::Replayed { order_id, shipment_id }
        );
        let mut changed = new_order("ORD-1");
        changed.payload["payment"] = "prepaid".into();
        assert_eq!(store.ingest_order(changed).await.unwrap(), IngestOutcome::Conflict { order_id });

        assert_eq!(count::<order::Entity>(&store).await, 1);
        assert_eq!(count::<shipment::Entity>(&store).await, 1);
        assert_eq!(count::<outbox::Entity>(&store).await, 1);
        let s = store.shipment(shipment_id).await.unwrap().unwrap();
        assert_eq!(
            (s.state.as_str(), s.sync_status.as_str(), s.channel_order_id.as_str()),
            ("pending_sync", "pending", "ORD-1")
        );
        let claimed = store.claim_outbox(10, std::time::Duration::from_secs(30)).await.unwrap();
        assert_eq!(claimed.len(), 1);
        let payload: serde_json::Value = serde_json::from_str(&claimed[0].payload).unwrap();
        assert_eq!(payload, job(order_id, shipment_id), "the outbox row names the order and shipment");
    }
});

on_both_backends!(fifty_concurrent_ingests_make_one_order, |ts: &TestStore| {
    let store = ts.store.clone();
    async move {
        let attempts = (0..50).map(|_| {
            let s = store.clone();
            tokio::spawn(async move { s.ingest_order(new_order("RACE-1")).await })
        });
        let outcomes: Vec<IngestOutcome> = join_all(attempts).await.into_iter().map(|r| r.unwrap().unwrap()).collect();

        let created = outcomes.iter().filter(|o| matches!(o, IngestOutcome::Created { .. })).count();
        assert_eq!(created, 1, "{outcomes:?}");
        assert!(outcomes.iter().all(|o| !matches!(o, IngestOutcome::Conflict { .. })));
        assert_eq!(count::<order::Entity>(&store).await, 1);
        assert_eq!(count::<shipment::Entity>(&store).await, 1);
        assert_eq!(count::<outbox::Entity>(&store).await, 1);
    }
});

on_both_backends!(outbox_rows_are_claimed_once_and_come_back_after_the_lease, |ts: &TestStore| {
    let store = ts.store.clone();
    async move {
        for i in 0..30 {
            store.ingest_order(new_order(&format!("OBX-{i}"))).await.unwrap();
        }
        let lease = std::time::Duration::from_secs(60);
        let claims = (0..3).map(|_| {
            let s = store.clone();
            tokio::spawn(async move { s.claim_outbox(12, lease).await.unwrap() })
        });
        let mut ids: Vec<i64> = join_all(claims).await.into_iter().flat_map(|c| c.unwrap()).map(|m| m.id).collect();
        ids.sort_unstable();
        let before = ids.len();
        ids.dedup();
        assert_eq!(before, ids.len(), "no row claimed twice");
        assert_eq!(ids.len(), 30);
        assert!(store.claim_outbox(10, lease).await.unwrap().is_empty(), "all leased");

        store.mark_dispatched(&ids[..20]).await.unwrap();
        store.release_outbox(&ids[20..], std::time::Duration::ZERO).await.unwrap();
        assert_eq!(store.pending_outbox().await.unwrap(), 10);
        let again = store.claim_outbox(100, std::time::Duration::from_millis(1)).await.unwrap();
        assert_eq!(again.len(), 10);
        assert!(again.iter().all(|m| m.attempts == 2), "a second claim counts");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert_eq!(store.claim_outbox(100, lease).await.unwrap().len(), 10, "an expired lease frees the rows");
    }
});

async fn shipment_with_awb(store: &Store, shop_order_id: &str, awb: &str) -> i64 {
    let IngestOutcome::Created { shipment_id, .. } = store.ingest_order(new_order(shop_order_id)).await.unwrap() else {
        panic!("not created")
    };
    let mut s = store.shipment(shipment_id).await.unwrap().unwrap().into_active_model();
    s.awb = Set(Some(awb.to_owned()));
    s.sync_status = Set("synced".into());
    s.update(store.db()).await.unwrap();
    shipment_id
}

fn event(awb: &str, code: i64, minutes: i64) -> TrackingEvent {
    let base = chrono::DateTime::parse_from_rfc3339("2025-01-15T10:00:00Z").unwrap().with_timezone(&Utc);
    TrackingEvent::new(Some(Awb::parse(awb).unwrap()), RawStatus::Shipment(code), base + Duration::minutes(minutes))
}

on_both_backends!(tracking_events_dedupe_and_move_forward_only, |ts: &TestStore| {
    let store = ts.store.clone();
    async move {
        let id = shipment_with_awb(&store, "TRK-1", "19041400000123").await;
        let record = |e: TrackingEvent| {
            let s = store.clone();
            async move {
                s.record_tracking_event(&e, "", Some("Pune_Hub"), Some("scan"), EventSource::Webhook).await.unwrap()
            }
        };
        let picked = record(event("19041400000123", 42, 0)).await;
        assert_eq!((picked.from, picked.to), (ShipmentState::PendingSync, ShipmentState::PickedUp));
        assert_eq!(record(event("19041400000123", 17, 60)).await.to, ShipmentState::OutForDelivery);
        let late = record(event("19041400000123", 18, 30)).await;
        assert_eq!(late.to, ShipmentState::OutForDelivery, "an older in-transit scan does not move it back");
        let dup = record(event("19041400000123", 17, 60)).await;
        assert_eq!(dup.outcome, Outcome::Duplicate);
        let ndr = record(event("19041400000123", 21, 120)).await;
        assert_eq!(ndr.to, ShipmentState::Ndr { attempts: 1 });
        assert_eq!(record(event("19041400000123", 17, 1500)).await.to, ShipmentState::OutForDelivery, "re-attempt");
        assert_eq!(record(event("19041400000123", 7, 1600)).await.to, ShipmentState::Delivered);
        assert_eq!(record(event("19041400000123", 18, 1700)).await.to, ShipmentState::Delivered, "terminal stays");

        assert_eq!(
            store.tracking_events(id).await.unwrap().len(),
            7,
            "six distinct events plus the late one; the duplicate is not stored"
        );
        let s = store.shipment(id).await.unwrap().unwrap();
        assert_eq!((s.state.as_str(), s.ndr_attempts, s.version), ("delivered", 1, 7));
        assert!(s.last_webhook_at.is_some());
        let unknown =
            store.record_tracking_event(&event("19049999999999", 7, 0), "", None, None, EventSource::Poll).await;
        assert!(matches!(unknown, Err(StoreError::NotFound(_))), "{unknown:?}");
    }
});

on_both_backends!(concurrent_duplicate_events_are_stored_once, |ts: &TestStore| {
    let store = ts.store.clone();
    async move {
        let id = shipment_with_awb(&store, "TRK-2", "19041400000456").await;
        let copies = (0..20).map(|_| {
            let s = store.clone();
            tokio::spawn(async move {
                s.record_tracking_event(&event("19041400000456", 42, 5), "", None, None, EventSource::Webhook)
                    .await
                    .unwrap()
            })
        });
        let outcomes: Vec<_> = join_all(copies).await.into_iter().map(|r| r.unwrap().outcome).collect();
        assert_eq!(outcomes.iter().filter(|o| **o != Outcome::Duplicate).count(), 1, "{outcomes:?}");
        assert_eq!(store.tracking_events(id).await.unwrap().len(), 1);
        assert_eq!(store.shipment(id).await.unwrap().unwrap().version, 1);
    }
});

on_both_backends!(refresh_picks_only_active_quiet_shipments, |ts: &TestStore| {
    let store = ts.store.clone();
    async move {
        let quiet = shipment_with_awb(&store, "REF-1", "19041400001001").await;
        let hooked = shipment_with_awb(&store, "REF-2", "19041400001002").await;
        let done = shipment_with_awb(&store, "REF-3", "19041400001003").await;
        store.ingest_order(new_order("REF-4")).await.unwrap(); // no AWB yet
        store
            .record_tracking_event(&event("19041400001002", 18, 0), "", None, None, EventSource::Webhook)
            .await
            .unwrap();
        store.record_tracking_event(&event("19041400001003", 7, 0), "", None, None, EventSource::Poll).await.unwrap();

        let due = store.shipments_due_for_refresh(Utc::now(), std::time::Duration::from_secs(3600), 100).await.unwrap();
        let ids: Vec<i64> = due.iter().map(|s| s.id).collect();
        assert_eq!(ids, [quiet], "not {hooked} (webhook within the hour), not {done} (delivered)");
        store.mark_polled(&[quiet], Utc::now()).await.unwrap();
        assert!(
            store
                .shipments_due_for_refresh(Utc::now(), std::time::Duration::from_secs(3600), 100)
                .await
                .unwrap()
                .is_empty()
        );
        let later = Utc::now() + Duration::hours(2);
        assert_eq!(
            store.shipments_due_for_refresh(later, std::time::Duration::from_secs(3600), 100).await.unwrap().len(),
            2
        );
    }
});

on_both_backends!(failed_syncs_come_due_at_their_retry_time, |ts: &TestStore| {
    let store = ts.store.clone();
    async move {
        let IngestOutcome::Created { shipment_id, .. } = store.ingest_order(new_order("FAIL-1")).await.unwrap() else {
            panic!()
        };
        assert!(store.failed_syncs_due(Utc::now(), 10).await.unwrap().is_empty());
        let mut s = store.shipment(shipment_id).await.unwrap().unwrap().into_active_model();
        s.sync_status = Set("failed".into());
        s.sync_error = Set(Some("Oops! Invalid Data.".into()));
        s.next_sync_at = Set(Some(Utc::now() + Duration::minutes(30)));
        s.update(store.db()).await.unwrap();
        assert!(store.failed_syncs_due(Utc::now(), 10).await.unwrap().is_empty(), "not yet");
        let due = store.failed_syncs_due(Utc::now() + Duration::minutes(31), 10).await.unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].sync_error.as_deref(), Some("Oops! Invalid Data."));
    }
});

on_both_backends!(concurrent_events_of_one_shipment_end_in_the_latest_state, |ts: &TestStore| {
    let store = ts.store.clone();
    async move {
        // A whole journey arriving at once, from many workers, in no particular order: the
        // state must be the journey's end every time, not whichever commit came last.
        for round in 0..10 {
            let awb = format!("190414000{round:05}");
            let id = shipment_with_awb(&store, &format!("TRK-C-{round}"), &awb).await;
            let journey = [(42, 0), (18, 60), (38, 120), (17, 180), (7, 240)];
            let tasks = journey.iter().rev().map(|(code, minutes)| {
                let (s, e) = (store.clone(), event(&awb, *code, *minutes));
                tokio::spawn(async move { s.record_tracking_event(&e, "", None, None, EventSource::Webhook).await })
            });
            for r in join_all(tasks).await {
                r.unwrap().unwrap();
            }
            let s = store.shipment(id).await.unwrap().unwrap();
            assert_eq!(s.state, "delivered", "round {round}: a concurrent older event won");
            assert_eq!(s.version, 5, "round {round}: every event was applied in turn");
        }
    }
});
