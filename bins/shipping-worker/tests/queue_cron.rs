//! Cron once per fleet: three replicas run the same every-second schedule; each tick's job is
//! handled exactly once.
#![allow(clippy::unwrap_used)]

mod queue_support;

use queue_support::{Backend, Recorder, eventually, start, with_env};
use shipping_store::jobs::{Job, ShipmentBatchV1};
use shipping_worker::queue::CronSchedule;
use std::collections::BTreeMap;
use std::time::Duration;

async fn each_tick_runs_once_across_replicas(backend: Backend) {
    with_env(backend, "cron", |env| async move {
        let handler = Recorder::ok();
        let mut replicas = Vec::new();
        for _ in 0..3 {
            let queues = env.queues().await;
            // The tick's timestamp travels in the job so the test can tell ticks apart.
            queues
                .schedule_cron_at("tick", CronSchedule::every(Duration::from_secs(1)).unwrap(), |tick| {
                    Job::RefreshTracking(ShipmentBatchV1 { shipment_ids: vec![tick.timestamp()] })
                })
                .unwrap();
            replicas.push(start(&queues, handler.clone()));
        }
        assert!(eventually(Duration::from_secs(15), || handler.calls().len() >= 5).await, "ticks handled");
        let mut per_tick = BTreeMap::<i64, usize>::new();
        // Stop all three replicas, then count: pushes of the last ticks have landed by then.
        for replica in replicas {
            replica.stop().await.unwrap();
        }
        for call in handler.calls() {
            *per_tick.entry(call.id).or_default() += 1;
        }
        assert!(per_tick.len() >= 5, "{per_tick:?}");
        assert!(per_tick.values().all(|&n| n == 1), "a tick ran more than once: {per_tick:?}");
        let ticks: Vec<i64> = per_tick.keys().copied().collect();
        assert!(ticks.windows(2).all(|w| w[1] - w[0] == 1), "a tick was skipped: {ticks:?}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_each_tick_runs_once_across_three_replicas() {
    each_tick_runs_once_across_replicas(Backend::Redis).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_each_tick_runs_once_across_three_replicas() {
    each_tick_runs_once_across_replicas(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cron_name_is_scheduled_once() {
    with_env(Backend::Sqlite, "cron_twice", |env| async move {
        let queues = env.queues().await;
        let every = || CronSchedule::every(Duration::from_secs(60)).unwrap();
        let job = || Job::RefreshTracking(ShipmentBatchV1 { shipment_ids: vec![] });
        queues.schedule_cron("refresh", every(), job).unwrap();
        assert!(queues.schedule_cron("refresh", every(), job).is_err());
    })
    .await;
}
