//! Pushing and handling on both backends: each job handled exactly once, on its priority's
//! queue, and `depth` counts what waits.
#![allow(clippy::unwrap_used)]

mod queue_support;
mod store_support;

use queue_support::{Backend, Recorder, eventually, order, start, with_env};
use shipping_store::jobs::{Job, Priority, ShipmentBatchV1, ShipmentJobV1};
use shipping_worker::queue::{QueueDepth, Queues};
use std::time::{Duration, Instant};

fn waiting(depths: &[QueueDepth; 3]) -> Vec<(Priority, u64, u64)> {
    depths.iter().map(|d| (d.priority, d.ready, d.scheduled)).collect()
}

async fn pushed_jobs_are_handled_exactly_once(backend: Backend) {
    with_env(backend, "once", |env| async move {
        let queues = env.queues().await;
        let manifest = Job::GenerateManifest(ShipmentBatchV1 { shipment_ids: vec![7] });
        queues.push(&order(1)).await.unwrap();
        queues.push(&manifest).await.unwrap();
        queues.push_all(&(2..=40).map(order).collect::<Vec<_>>()).await.unwrap();
        queues.push_after(&order(41), Duration::from_secs(1)).await.unwrap();
        let depths = queues.depth().await.unwrap();
        assert_eq!(waiting(&depths), [(Priority::High, 40, 1), (Priority::Medium, 1, 0), (Priority::Low, 0, 0)]);

        let handler = Recorder::ok();
        let pushed = Instant::now();
        let running = start(&queues, handler.clone());
        assert!(eventually(Duration::from_secs(10), || handler.calls().len() >= 42).await, "all jobs handled");
        // Long enough for any duplicate (a redelivery, an apalis re-schedule) to show up.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        running.stop().await.unwrap();

        let mut ids: Vec<i64> = handler.calls().iter().map(|c| c.id).collect();
        ids.sort_unstable();
        // Order 7 and the manifest for shipment 7 both report id 7.
        let mut expected: Vec<i64> = (1..=41).chain([7]).collect();
        expected.sort_unstable();
        assert_eq!(ids, expected, "each job exactly once");
        assert!(handler.calls().iter().all(|c| c.attempt == 1));
        assert!(handler.deads().is_empty());
        let delayed = &handler.calls_of(41)[0];
        assert!(delayed.at - pushed >= Duration::from_millis(900), "push_after waited {:?}", delayed.at - pushed);
        let depths = queues.depth().await.unwrap();
        assert!(depths.iter().all(|d| d.total() == 0), "nothing left: {depths:?}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_pushed_jobs_are_handled_exactly_once() {
    pushed_jobs_are_handled_exactly_once(Backend::Redis).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_pushed_jobs_are_handled_exactly_once() {
    pushed_jobs_are_handled_exactly_once(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_queues_are_named_by_prefix_and_priority_and_cleaned_up() {
    with_env(Backend::Redis, "names", |env| async move {
        let queues = env.queues().await;
        assert_eq!(queues.queue_name(Priority::High), format!("{}high", env.prefix));
        assert_eq!(queues.queue_name(Priority::Low), format!("{}low", env.prefix));
        let label = Job::GenerateLabel(ShipmentJobV1 { shipment_id: 3, courier_id: None });
        queues.push(&label).await.unwrap();
        assert!(queue_support::count_keys(&format!("{}medium", env.prefix)).await > 0);
        assert_eq!(queue_support::count_keys(&format!("{}high", env.prefix)).await, 0);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existing_sqlite_pool_can_hold_the_queue() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("shared.db").display());
    let pool = apalis_sqlite::SqlitePool::connect(&url).await.unwrap();
    let queues = Queues::with_sqlite_pool(&Default::default(), pool).await.unwrap();
    queues.push(&order(5)).await.unwrap();
    assert_eq!(queues.depth().await.unwrap()[0].ready, 1);
}

async fn finished_jobs_are_vacuumed(backend: Backend) {
    with_env(backend, "vacuum", |env| async move {
        let queues = env.queues().await;
        let handler = Recorder::new(|id, _| {
            if id == 3 { Err(shipping_worker::queue::JobFailure::Permanent { reason: "bad".into() }) } else { Ok(()) }
        });
        queues.push_all(&[order(1), order(2), order(3)]).await.unwrap();
        queues.push_after(&order(4), Duration::from_secs(3600)).await.unwrap();
        let running = start(&queues, handler.clone());
        assert!(eventually(Duration::from_secs(10), || handler.calls().len() == 3 && handler.deads().len() == 1).await);
        running.stop().await.unwrap();

        assert_eq!(queues.vacuum(Duration::from_secs(3600)).await.unwrap(), 0, "nothing finished that long ago");
        assert_eq!(queues.vacuum(Duration::ZERO).await.unwrap(), 3, "two done, one dead");
        assert_eq!(queues.vacuum(Duration::ZERO).await.unwrap(), 0);
        assert_eq!(queues.depth().await.unwrap()[0].scheduled, 1, "a waiting job is not touched");
        if backend == Backend::Redis {
            let metas = queue_support::count_keys(&format!("{}high:meta:", env.prefix)).await;
            assert_eq!(metas, 1, "only the waiting job keeps its metadata");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_finished_jobs_are_vacuumed() {
    finished_jobs_are_vacuumed(Backend::Redis).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_finished_jobs_are_vacuumed() {
    finished_jobs_are_vacuumed(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gauges_keep_the_queue_depth_for_the_dashboard() {
    with_env(Backend::Redis, "depths", |env| async move {
        let queues = env.queues().await;
        let (store, _, schema) = store_support::fresh_store(store_support::Backend::Postgres).await;
        let kept = || async {
            let rows = store.queue_depths().await.unwrap();
            rows.into_iter().map(|d| (d.queue, d.ready, d.scheduled)).collect::<Vec<_>>()
        };
        assert!(kept().await.is_empty(), "nothing read yet");
        queues.push_all(&[order(1), order(2)]).await.unwrap();
        queues.push_after(&order(3), Duration::from_secs(60)).await.unwrap();
        shipping_worker::metrics::refresh_gauges(&store, &queues).await;
        let high = |ready, scheduled| ("high".to_owned(), ready, scheduled);
        let idle = |q: &str| (q.to_owned(), 0, 0);
        assert_eq!(kept().await, [high(2, 1), idle("low"), idle("medium")]);
        // The next reading replaces it.
        queues.push(&order(4)).await.unwrap();
        shipping_worker::metrics::refresh_gauges(&store, &queues).await;
        assert_eq!(kept().await, [high(3, 1), idle("low"), idle("medium")]);
        store_support::drop_schema(&store, schema).await;
    })
    .await;
}
