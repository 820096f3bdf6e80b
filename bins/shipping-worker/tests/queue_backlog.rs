//! A backlog larger than apalis-redis 1.0's fetch can promote (one Lua `unpack` of every due
//! task, which fails beyond about 8,000) is still worked off, exactly once per job.
#![allow(clippy::unwrap_used)]

mod queue_support;

use apalis::prelude::TaskSink;
use queue_support::{Backend, Recorder, eventually, order, start, with_env};
use shipping_store::jobs::Priority;
use shipping_worker::queue::{Concurrency, QueueConfig, Queues};
use std::collections::HashSet;
use std::time::Duration;

const BACKLOG: i64 = 10_000;

fn fast(cfg: &QueueConfig) -> QueueConfig {
    QueueConfig { concurrency: Concurrency { high: 32, medium: 1, low: 1 }, batch_size: Some(100), ..cfg.clone() }
}

async fn all_handled_once(queues: &Queues) {
    let handler = Recorder::ok();
    let running = start(queues, handler.clone());
    let done = eventually(Duration::from_secs(60), || handler.calls().len() >= BACKLOG as usize).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    running.stop().await.unwrap();
    assert!(done, "handled {} of {BACKLOG}", handler.calls().len());
    let ids: HashSet<i64> = handler.calls().iter().map(|c| c.id).collect();
    assert_eq!((handler.calls().len(), ids.len()), (BACKLOG as usize, BACKLOG as usize));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_a_bulk_push_beyond_the_unpack_limit_is_worked_off() {
    with_env(Backend::Redis, "backlog_bulk", |env| async move {
        let queues = Queues::connect(&fast(&env.cfg)).await.unwrap();
        queues.push_all(&(0..BACKLOG).map(order).collect::<Vec<_>>()).await.unwrap();
        all_handled_once(&queues).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_a_backlog_pushed_by_plain_apalis_is_worked_off() {
    with_env(Backend::Redis, "backlog_raw", |env| async move {
        let queues = Queues::connect(&fast(&env.cfg)).await.unwrap();
        // Straight into apalis' scheduled set, as another tool (or a pile of due retries) would.
        let conn = shipping_worker::queue::redis_connection(queue_support::REDIS_URL).await.unwrap();
        let config = apalis_redis::Config::default().queue(queues.queue_name(Priority::High));
        let mut raw = apalis_redis::RedisStorage::<serde_json::Value>::new(conn).with_config(config);
        let jobs: Vec<serde_json::Value> = (0..BACKLOG).map(|i| serde_json::to_value(order(i)).unwrap()).collect();
        raw.push_bulk(jobs).await.unwrap();
        all_handled_once(&queues).await;
    })
    .await;
}
