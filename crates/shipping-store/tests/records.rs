//! Documents, rate cache, webhook inbox, notifications, returns, NDR actions, audit log — on
//! both backends.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::{Duration, Utc};
use shipping_store::{IngestOutcome, Once, RateKey, Store};
use support::{TestStore, new_order};

async fn a_shipment(store: &Store, id: &str) -> i64 {
    match store.ingest_order(new_order(id)).await.unwrap() {
        IngestOutcome::Created { shipment_id, .. } => shipment_id,
        other => panic!("{other:?}"),
    }
}

on_both_backends!(documents_and_the_audit_log, |ts: &TestStore| {
    let store = ts.store.clone();
    async move {
        let id = a_shipment(&store, "DOC-1").await;
        store.save_document(id, "label", Some("http://x/1.pdf"), b"%PDF-1.4 first".to_vec()).await.unwrap();
        store.save_document(id, "label", None, b"%PDF-1.4 second".to_vec()).await.unwrap();
        let latest = store.latest_document(id, "label").await.unwrap().unwrap();
        assert_eq!(latest.content, b"%PDF-1.4 second");
        assert_eq!(latest.sha256.len(), 64);
        assert!(store.latest_document(id, "manifest").await.unwrap().is_none());

        store
            .audit("shipment", id, "cancel", "ops@shop", serde_json::json!({"reason": "customer asked"}))
            .await
            .unwrap();
        store.audit("shipment", id, "label", "worker", serde_json::json!({})).await.unwrap();
        let trail = store.audit_trail("shipment", id).await.unwrap();
        assert_eq!(trail.iter().map(|a| a.action.as_str()).collect::<Vec<_>>(), ["cancel", "label"]);
    }
});

on_both_backends!(rate_cache_entries_expire_and_are_replaced, |ts: &TestStore| {
    let store = ts.store.clone();
    async move {
        let key = RateKey {
            pickup_pincode: "411013".into(),
            delivery_pincode: "560001".into(),
            weight_slab_grams: 500,
            cod: true,
        };
        assert!(store.cached_rates(&key, Utc::now()).await.unwrap().is_none());
        store.put_rates(&key, r#"{"v":1}"#, std::time::Duration::from_secs(900)).await.unwrap();
        assert_eq!(store.cached_rates(&key, Utc::now()).await.unwrap().unwrap().response, r#"{"v":1}"#);
        assert!(
            store.cached_rates(&key, Utc::now() + Duration::minutes(16)).await.unwrap().is_none(),
            "expired after 15 min"
        );
        assert!(store.cached_rates_any_age(&key).await.unwrap().is_some(), "but still there to serve stale");
        store.put_rates(&key, r#"{"v":2}"#, std::time::Duration::from_secs(900)).await.unwrap();
        assert_eq!(store.cached_rates(&key, Utc::now()).await.unwrap().unwrap().response, r#"{"v":2}"#);
        let other = RateKey { cod: false, ..key.clone() };
        assert!(store.cached_rates(&other, Utc::now()).await.unwrap().is_none(), "COD is part of the key");
    }
});

on_both_backends!(webhooks_and_notifications_happen_once, |ts: &TestStore| {
    let store = ts.store.clone();
    async move {
        let first =
            store.inbox_webhook("19041400000123|20|2025-01-16T22:40:12+05:30", "19041400000123", "{}").await.unwrap();
        let Once::New(hook) = first else { panic!("{first:?}") };
        assert_eq!(
            store.inbox_webhook("19041400000123|20|2025-01-16T22:40:12+05:30", "19041400000123", "{}").await.unwrap(),
            Once::AlreadyThere
        );
        store.mark_webhook_processed(hook, None).await.unwrap();
        assert!(store.webhook(hook).await.unwrap().unwrap().processed_at.is_some());

        let id = a_shipment(&store, "NOTE-1").await;
        let Once::New(note) = store.queue_notification(id, "delivered", "a***@example.com").await.unwrap() else {
            panic!()
        };
        assert_eq!(store.queue_notification(id, "delivered", "a***@example.com").await.unwrap(), Once::AlreadyThere);
        store.queue_notification(id, "shipped", "a***@example.com").await.unwrap();
        store.mark_notification(note, None).await.unwrap();
        let notes = store.notifications(id).await.unwrap();
        assert_eq!(notes.len(), 2);
        assert_eq!((notes[0].status.as_str(), notes[0].sent_at.is_some()), ("sent", true));
    }
});

on_both_backends!(returns_and_ndr_actions, |ts: &TestStore| {
    let store = ts.store.clone();
    async move {
        let id = a_shipment(&store, "RET-1").await;
        assert!(matches!(store.request_return(id, "RET-1-R", "Size not as expected").await.unwrap(), Once::New(_)));
        assert_eq!(store.request_return(id, "RET-1-R", "again").await.unwrap(), Once::AlreadyThere);
        let day = chrono::NaiveDate::from_ymd_opt(2025, 1, 19).unwrap();
        let ndr = store
            .request_ndr_action(id, "re-attempt", "call first", Some(day), Some("9800000001"), None, "customer")
            .await
            .unwrap();
        assert!(ndr > 0);
    }
});

on_both_backends!(cleanup_removes_only_what_is_done, |ts: &TestStore| {
    let store = ts.store.clone();
    async move {
        a_shipment(&store, "CLN-1").await;
        a_shipment(&store, "CLN-2").await;
        let claimed = store.claim_outbox(10, std::time::Duration::from_secs(60)).await.unwrap();
        store.mark_dispatched(&[claimed[0].id]).await.unwrap();
        let Once::New(done) = store.inbox_webhook("k1", "1", "{}").await.unwrap() else { panic!() };
        store.inbox_webhook("k2", "1", "{}").await.unwrap();
        store.mark_webhook_processed(done, None).await.unwrap();
        let key = RateKey {
            pickup_pincode: "411013".into(),
            delivery_pincode: "560001".into(),
            weight_slab_grams: 500,
            cod: false,
        };
        store.put_rates(&key, "{}", std::time::Duration::from_secs(1)).await.unwrap();

        let nothing_yet = store.cleanup(Utc::now() - Duration::days(1)).await.unwrap();
        assert_eq!(nothing_yet, shipping_store::Cleaned::default());
        let cleaned = store.cleanup(Utc::now() + Duration::minutes(1)).await.unwrap();
        assert_eq!(cleaned, shipping_store::Cleaned { outbox: 1, webhooks: 1, rates: 1 });
        assert_eq!(store.pending_outbox().await.unwrap(), 1, "the undispatched row stays");
        assert!(store.webhook(done + 1).await.unwrap().is_some(), "the unprocessed webhook stays");
    }
});
