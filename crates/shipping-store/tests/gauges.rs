//! The numbers behind the worker's gauges, on SQLite and on real Postgres.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel};
use shipping_store::entities::shipment;
use shipping_store::jobs::{Job, ShipmentJobV1};
use shipping_store::{IngestOutcome, Store};
use support::{TestStore, new_order};

async fn shipment_with(store: &Store, id: &str, f: impl FnOnce(&mut shipment::ActiveModel)) -> i64 {
    let IngestOutcome::Created { shipment_id, .. } = store.ingest_order(new_order(id)).await.unwrap() else {
        panic!("new order")
    };
    let mut s = shipment::Entity::find_by_id(shipment_id).one(store.db()).await.unwrap().unwrap().into_active_model();
    f(&mut s);
    s.update(store.db()).await.unwrap();
    shipment_id
}

on_both_backends!(tracking_freshness_is_the_oldest_last_news_of_active_shipments, |ts: &TestStore| {
    let store = ts.store.clone();
    async move {
        let empty = store.tracking_freshness().await.unwrap();
        assert_eq!((empty.active, empty.oldest_update), (0, None));
        let now = Utc::now();
        let at = |h: i64| now - Duration::hours(h);
        // No AWB yet: not tracked.
        shipment_with(&store, "F-1", |_| {}).await;
        // Webhook 9 h ago, poll 3 h ago: last news 3 h ago.
        shipment_with(&store, "F-2", |s| {
            s.awb = Set(Some("AWB2".into()));
            s.state = Set("in_transit".into());
            s.last_webhook_at = Set(Some(at(9)));
            s.last_polled_at = Set(Some(at(3)));
        })
        .await;
        // Only a webhook, 5 h ago: the oldest news.
        shipment_with(&store, "F-3", |s| {
            s.awb = Set(Some("AWB3".into()));
            s.state = Set("in_transit".into());
            s.last_webhook_at = Set(Some(at(5)));
        })
        .await;
        // Delivered long ago: terminal, ignored.
        shipment_with(&store, "F-4", |s| {
            s.awb = Set(Some("AWB4".into()));
            s.state = Set("delivered".into());
            s.last_webhook_at = Set(Some(at(48)));
        })
        .await;
        let f = store.tracking_freshness().await.unwrap();
        assert_eq!(f.active, 2);
        let oldest = f.oldest_update.unwrap();
        assert!((oldest - at(5)).num_seconds().abs() <= 1, "{oldest} vs {}", at(5));
    }
});

on_both_backends!(dead_jobs_are_counted_until_replayed, |ts: &TestStore| {
    let store = ts.store.clone();
    async move {
        assert_eq!(store.dead_job_count().await.unwrap(), 0);
        let job = Job::GenerateLabel(ShipmentJobV1 { shipment_id: 1, courier_id: None });
        let id = store.record_dead_job(&job, 6, "gave up").await.unwrap();
        store.record_dead_job(&job, 6, "gave up again").await.unwrap();
        assert_eq!(store.dead_job_count().await.unwrap(), 2);
        store.replay_dead_job(id).await.unwrap();
        assert_eq!(store.dead_job_count().await.unwrap(), 1);
    }
});
