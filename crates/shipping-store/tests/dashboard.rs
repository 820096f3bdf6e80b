//! The admin pages' reads and the admin sessions, on SQLite and on real Postgres.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, IntoActiveModel};
use shipping_domain::{Awb, RawStatus, TrackingEvent};
use shipping_store::api_queries::{NewNdrAction, ShipmentFilter};
use shipping_store::jobs::{Job, ShipmentJobV1};
use shipping_store::{EventSource, IngestOutcome, Store};
use support::{TestStore, new_order};

async fn shipment(store: &Store, shop_order_id: &str, state: &str, awb: Option<&str>, courier: Option<&str>) -> i64 {
    let IngestOutcome::Created { shipment_id, .. } = store.ingest_order(new_order(shop_order_id)).await.unwrap() else {
        panic!("not created")
    };
    let mut s = store.shipment(shipment_id).await.unwrap().unwrap().into_active_model();
    s.state = Set(state.to_owned());
    s.awb = Set(awb.map(str::to_owned));
    s.courier_name = Set(courier.map(str::to_owned));
    s.sync_status = Set(if state == "pending_sync" { "pending" } else { "synced" }.to_owned());
    s.update(store.db()).await.unwrap();
    shipment_id
}

fn scan(awb: &str, code: i64, at: chrono::DateTime<Utc>) -> TrackingEvent {
    TrackingEvent::new(Some(Awb::parse(awb).unwrap()), RawStatus::Shipment(code), at)
}

on_both_backends!(dashboard_counts_what_needs_attention, |ts: &TestStore| {
    let store = ts.store.clone();
    async move {
        assert_eq!(store.dashboard_counts().await.unwrap(), Default::default());
        // ingest_order writes one outbox row per order: six rows in the backlog.
        shipment(&store, "D-1", "pending_sync", None, None).await;
        shipment(&store, "D-2", "sync_failed", None, None).await;
        shipment(&store, "D-3", "in_transit", Some("1904000000001"), Some("Delhivery")).await;
        let ndr = shipment(&store, "D-4", "ndr", Some("1904000000002"), Some("Delhivery")).await;
        let decided = shipment(&store, "D-5", "ndr", Some("1904000000003"), Some("Delhivery")).await;
        shipment(&store, "D-6", "rto_in_transit", Some("1904000000004"), Some("Xpressbees")).await;
        for id in [ndr, decided] {
            let mut s = store.shipment(id).await.unwrap().unwrap().into_active_model();
            s.ndr_attempts = Set(1);
            s.update(store.db()).await.unwrap();
        }
        store
            .request_ndr_action_and_enqueue(&NewNdrAction {
                shipment_id: decided,
                action: "re-attempt".into(),
                comments: "customer home after 6".into(),
                deferred_date: None,
                new_phone: None,
                new_address: None,
                requested_by: "test".into(),
            })
            .await
            .unwrap();
        store
            .record_dead_job(&Job::GenerateLabel(ShipmentJobV1 { shipment_id: ndr, courier_id: None }), 5, "boom")
            .await
            .unwrap();
        let counts = store.dashboard_counts().await.unwrap();
        assert_eq!(counts.pending_syncs, 1);
        assert_eq!(counts.failed_syncs, 1);
        assert_eq!(counts.active_shipments, 3, "in transit and two NDRs");
        assert_eq!(counts.ndr_waiting, 1, "the one with a decision is not waiting");
        assert_eq!(counts.rto_in_progress, 1);
        assert_eq!(counts.dead_jobs, 1);
        assert_eq!(counts.outbox_backlog, 7, "six syncs and the NDR action");
    }
});

on_both_backends!(courier_performance_over_a_window, |ts: &TestStore| {
    let store = ts.store.clone();
    async move {
        let now = Utc::now();
        let a = shipment(&store, "P-1", "pickup_scheduled", Some("1904000000011"), Some("Delhivery")).await;
        let b = shipment(&store, "P-2", "pickup_scheduled", Some("1904000000012"), Some("Delhivery")).await;
        shipment(&store, "P-3", "rto_delivered", Some("1904000000013"), Some("Delhivery")).await;
        shipment(&store, "P-4", "in_transit", Some("1904000000014"), Some("Xpressbees")).await;
        shipment(&store, "P-5", "pending_sync", None, None).await;
        let c = shipment(&store, "P-6", "pickup_scheduled", Some("1904000000016"), Some("Delhivery")).await;
        // c's courier promised 8 days, then revised to 6: it is measured against the 8, the
        // customer sees the 6.
        assert!(store.record_delivery_estimate("1904000000016", now + Duration::days(8)).await.unwrap());
        assert!(store.record_delivery_estimate("1904000000016", now + Duration::days(6)).await.unwrap());
        assert!(!store.record_delivery_estimate("1904999999999", now).await.unwrap(), "no such AWB");
        let estimates = store.shipment(c).await.unwrap().unwrap();
        assert_eq!(estimates.promised_delivery_at.unwrap().timestamp(), (now + Duration::days(8)).timestamp());
        assert_eq!(estimates.expected_delivery_at.unwrap().timestamp(), (now + Duration::days(6)).timestamp());
        // Picked up now; a delivered 2 days later (on time by the 5-day rule), b 9 days (late),
        // c 7 days (late by the rule, on time by its courier's promise). Events arrive out of
        // order for c.
        for (id, awb, days) in [(a, "1904000000011", 2), (b, "1904000000012", 9), (c, "1904000000016", 7)] {
            if id == c {
                let delivered = now + Duration::days(days);
                store.record_tracking_event(&scan(awb, 7, delivered), "", None, None, EventSource::Poll).await.unwrap();
                let r = store.record_tracking_event(&scan(awb, 42, now), "", None, None, EventSource::Poll).await;
                assert_eq!(r.unwrap().to.name(), "delivered");
                let s = store.shipment(c).await.unwrap().unwrap();
                assert_eq!(s.picked_up_at.unwrap().timestamp(), now.timestamp());
                assert_eq!(s.delivered_at.unwrap().timestamp(), delivered.timestamp());
                continue;
            }
            store.record_tracking_event(&scan(awb, 42, now), "", None, None, EventSource::Poll).await.unwrap();
            let delivered = now + Duration::days(days);
            let r = store.record_tracking_event(&scan(awb, 7, delivered), "", None, None, EventSource::Poll).await;
            assert_eq!(r.unwrap().to.name(), "delivered", "shipment {id}");
        }
        let perf = store.courier_performance(now - Duration::days(30), 5).await.unwrap();
        assert_eq!(perf.len(), 2, "{perf:?}");
        let d = &perf[0];
        assert_eq!(
            (d.courier_name.as_str(), d.shipments, d.delivered, d.delivered_on_time, d.rto),
            ("Delhivery", 4, 3, 2, 1)
        );
        assert!((d.avg_transit_days.unwrap() - 6.0).abs() < 0.01, "{d:?}");
        assert!((d.on_time_percent().unwrap() - 66.67).abs() < 0.01);
        assert_eq!(d.rto_percent(), Some(25.0));
        let x = &perf[1];
        assert_eq!((x.courier_name.as_str(), x.shipments, x.delivered, x.avg_transit_days), ("Xpressbees", 1, 0, None));
        assert!(store.courier_performance(now + Duration::days(1), 5).await.unwrap().is_empty(), "outside the window");

        let recent = store.recent_tracking_events(3).await.unwrap();
        assert_eq!(recent.len(), 3);
        assert!(recent[0].id > recent[1].id, "newest first");
    }
});

on_both_backends!(list_searches_by_awb_and_order_id, |ts: &TestStore| {
    let store = ts.store.clone();
    async move {
        let a = shipment(&store, "S-100", "in_transit", Some("1904000000100"), Some("Delhivery")).await;
        let b = shipment(&store, "S-200", "in_transit", Some("1904000000200"), Some("Delhivery")).await;
        let find = |term: &str| {
            let store = store.clone();
            let f = ShipmentFilter { search: Some(term.to_owned()), limit: 10, ..Default::default() };
            async move { store.list_shipments(&f).await.unwrap().iter().map(|r| r.shipment.id).collect::<Vec<_>>() }
        };
        assert_eq!(find("1904000000200").await, vec![b]);
        assert_eq!(find("S-100").await, vec![a]);
        assert_eq!(find(" S-100 ").await, vec![a], "trimmed");
        assert!(find("S-1").await.is_empty(), "exact, not a prefix");
        assert_eq!(store.shipments_with_document(&[a, b], "label").await.unwrap(), Vec::<i64>::new());
        store.save_document(a, "label", None, b"%PDF-1.4".to_vec()).await.unwrap();
        assert_eq!(store.shipments_with_document(&[a, b], "label").await.unwrap(), vec![a]);
        assert_eq!(store.documents_of(a).await.unwrap().len(), 1);
        assert_eq!(store.shipments_by_ids(&[b, a]).await.unwrap().len(), 2);
    }
});

on_both_backends!(admin_sessions_expire_and_can_be_deleted, |ts: &TestStore| {
    let store = ts.store.clone();
    async move {
        let now = Utc::now();
        store.create_admin_session("live", "ops", "csrf-1", now + Duration::hours(1)).await.unwrap();
        store.create_admin_session("old", "ops", "csrf-2", now + Duration::seconds(1)).await.unwrap();
        assert_eq!(store.admin_session("live", now).await.unwrap().unwrap().csrf_token, "csrf-1");
        assert!(store.admin_session("old", now + Duration::seconds(2)).await.unwrap().is_none(), "expired");
        assert!(store.admin_session("nope", now).await.unwrap().is_none());
        store.delete_admin_session("live").await.unwrap();
        assert!(store.admin_session("live", now).await.unwrap().is_none(), "signed out");
    }
});

on_both_backends!(the_milestone_migration_fills_shipments_recorded_before_it, |ts: &TestStore| {
    let store = ts.store.clone();
    async move {
        use shipping_migrations::MigratorTrait;
        let now = Utc::now();
        let awb = "1904000000077";
        let id = shipment(&store, "MIL-1", "pickup_scheduled", Some(awb), Some("Delhivery")).await;
        let waiting = shipment(&store, "MIL-2", "pickup_scheduled", Some("1904000000078"), Some("Delhivery")).await;
        for (code, hours) in [(42, 0), (18, 20), (7, 50)] {
            let at = now + Duration::hours(hours);
            store.record_tracking_event(&scan(awb, code, at), "", None, None, EventSource::Poll).await.unwrap();
        }
        // Take the milestone columns away and back, as on a database from before them.
        shipping_migrations::Migrator::down(store.db(), Some(1)).await.unwrap();
        shipping_migrations::Migrator::up(store.db(), None).await.unwrap();
        let s = store.shipment(id).await.unwrap().unwrap();
        assert_eq!(s.state, "delivered");
        assert_eq!(s.picked_up_at.map(|t| t.timestamp()), Some(now.timestamp()));
        assert_eq!(s.delivered_at.map(|t| t.timestamp()), Some((now + Duration::hours(50)).timestamp()));
        assert_eq!((s.promised_delivery_at, s.expected_delivery_at), (None, None), "estimates start empty");
        let w = store.shipment(waiting).await.unwrap().unwrap();
        assert_eq!((w.picked_up_at, w.delivered_at), (None, None), "not picked up yet");
    }
});
