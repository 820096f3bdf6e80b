//! A job pushed by one process is picked up by an idle worker in another within a second: the
//! 200 ms poll, not apalis' 30 s heartbeat, decides the latency.
#![allow(clippy::unwrap_used)]

mod queue_support;

use queue_support::{Backend, Recorder, eventually, order, start, with_env};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_pickup_across_instances_is_under_a_second() {
    with_env(Backend::Redis, "pickup", |env| async move {
        let worker_side = env.queues().await;
        let api_side = env.queues().await;
        let handler = Recorder::ok();
        let running = start(&worker_side, handler.clone());
        // Let the workers register and go idle: the case that used to wait for a heartbeat.
        tokio::time::sleep(Duration::from_millis(1500)).await;

        let mut latencies = Vec::new();
        for id in 1..=3 {
            let pushed = Instant::now();
            api_side.push(&order(id)).await.unwrap();
            assert!(
                eventually(Duration::from_secs(5), || handler.calls_of(id).len() == 1).await,
                "job {id} not handled"
            );
            latencies.push(handler.calls_of(id)[0].at - pushed);
            tokio::time::sleep(Duration::from_millis(700)).await;
        }
        running.stop().await.unwrap();
        let worst = latencies.iter().max().copied().unwrap();
        eprintln!("pickup latencies across instances: {latencies:?}");
        assert!(worst < Duration::from_secs(1), "pickup latencies {latencies:?}");
    })
    .await;
}
