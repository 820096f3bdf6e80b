//! A worker that dies without a word (SIGKILL: no release, no unregister) loses nothing: another
//! worker re-enqueues its in-flight job after heartbeat × missed heartbeats, and the crash does
//! not count as an attempt.
#![allow(clippy::unwrap_used)]

mod queue_support;

use queue_support::{Backend, Recorder, eventually, order, start, with_env};
use shipping_worker::queue::QueueConfig;
use std::time::{Duration, Instant};

async fn a_killed_workers_job_runs_elsewhere(backend: Backend) {
    with_env(backend, "redeliver", |env| async move {
        // A 2 s orphan window instead of the production 15 s.
        let cfg = QueueConfig { heartbeat_interval_secs: 1, missed_heartbeats: 2, ..env.cfg.clone() };
        let doomed = shipping_worker::queue::Queues::connect(&cfg).await.unwrap();
        let survivor = shipping_worker::queue::Queues::connect(&cfg).await.unwrap();
        let stuck = Recorder::slow(Duration::from_secs(60), |_, _| Ok(()));
        doomed.push(&order(1)).await.unwrap();
        let running = start(&doomed, stuck.clone());
        tokio::time::timeout(Duration::from_secs(5), stuck.started.notified()).await.unwrap();
        running.kill().await;
        let killed = Instant::now();

        let handler = Recorder::ok();
        let rescue = start(&survivor, handler.clone());
        assert!(
            eventually(Duration::from_secs(10), || handler.calls().len() == 1).await,
            "the killed worker's job never ran again"
        );
        let after = killed.elapsed();
        tokio::time::sleep(Duration::from_millis(1500)).await;
        rescue.stop().await.unwrap();
        assert_eq!(handler.calls().len(), 1, "redelivered once");
        assert_eq!(handler.calls()[0].attempt, 1, "a crash is not an attempt");
        assert!(after >= Duration::from_secs(1), "taken over after {after:?}, before the heartbeat window");
        assert!(stuck.finished().is_empty());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_a_killed_workers_job_runs_elsewhere() {
    a_killed_workers_job_runs_elsewhere(Backend::Redis).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_killed_workers_job_runs_elsewhere() {
    a_killed_workers_job_runs_elsewhere(Backend::Sqlite).await;
}
