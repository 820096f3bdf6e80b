//! Graceful shutdown: stop taking jobs, let in-flight ones finish; past the timeout, release them.
#![allow(clippy::unwrap_used)]

mod queue_support;

use queue_support::{Backend, Recorder, eventually, order, start, with_env};
use shipping_worker::queue::Queues;
use std::time::{Duration, Instant};

async fn an_in_flight_job_finishes_and_nothing_new_starts(backend: Backend) {
    with_env(backend, "drain", |env| async move {
        let queues = env.queues().await;
        let handler = Recorder::slow(Duration::from_millis(1500), |_, _| Ok(()));
        queues.push(&order(1)).await.unwrap();
        let running = start(&queues, handler.clone());
        tokio::time::timeout(Duration::from_secs(5), handler.started.notified()).await.unwrap();
        let stopping = Instant::now();
        let stopped = tokio::spawn(running.stop());
        // Pushed after the signal: must wait for the next run.
        tokio::time::sleep(Duration::from_millis(300)).await;
        queues.push(&order(2)).await.unwrap();
        stopped.await.unwrap().unwrap();

        assert!(stopping.elapsed() >= Duration::from_millis(1000), "run returned before the job finished");
        assert_eq!(handler.finished(), [1], "the in-flight job finished, nothing else ran");
        assert_eq!(queues.depth().await.unwrap()[0].ready, 1, "job 2 still waits");

        // Job 1 was acknowledged: a new run sees only job 2.
        let again = Recorder::ok();
        let running = start(&queues, again.clone());
        assert!(eventually(Duration::from_secs(5), || again.calls().len() == 1).await);
        tokio::time::sleep(Duration::from_millis(800)).await;
        running.stop().await.unwrap();
        assert_eq!(again.calls().iter().map(|c| c.id).collect::<Vec<_>>(), [2]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_an_in_flight_job_finishes_and_nothing_new_starts() {
    an_in_flight_job_finishes_and_nothing_new_starts(Backend::Redis).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_an_in_flight_job_finishes_and_nothing_new_starts() {
    an_in_flight_job_finishes_and_nothing_new_starts(Backend::Sqlite).await;
}

async fn a_job_outliving_the_timeout_is_released(backend: Backend) {
    with_env(backend, "release", |env| async move {
        let mut cfg = env.cfg.clone();
        cfg.shutdown_timeout_secs = 1;
        let queues = Queues::connect(&cfg).await.unwrap();
        let stuck = Recorder::slow(Duration::from_secs(60), |_, _| Ok(()));
        queues.push(&order(1)).await.unwrap();
        let running = start(&queues, stuck.clone());
        tokio::time::timeout(Duration::from_secs(5), stuck.started.notified()).await.unwrap();
        let stopping = Instant::now();
        running.stop().await.unwrap();
        let took = stopping.elapsed();
        assert!(took >= Duration::from_secs(1) && took < Duration::from_secs(5), "shutdown took {took:?}");
        assert!(stuck.finished().is_empty());

        // Released at once, not after the missed-heartbeat window: the next run takes it.
        let next = Recorder::ok();
        let running = start(&queues, next.clone());
        assert!(eventually(Duration::from_secs(3), || next.calls().len() == 1).await, "job 1 was not released");
        running.stop().await.unwrap();
        assert_eq!(next.calls()[0].attempt, 1, "a cancelled run is not an attempt");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_a_job_outliving_the_timeout_is_released() {
    a_job_outliving_the_timeout_is_released(Backend::Redis).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_job_outliving_the_timeout_is_released() {
    a_job_outliving_the_timeout_is_released(Backend::Sqlite).await;
}
