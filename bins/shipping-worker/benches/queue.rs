//! No-op jobs per second through apalis-redis with 1 and 2 worker `Queues`, beside
//! `redis-benchmark -t lpush` measured in the same run. `make bench`; needs Redis on 6379.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use futures::future::BoxFuture;
use shipping_store::jobs::{Job, SyncOrderV1};
use shipping_worker::queue::{Concurrency, JobFailure, JobHandler, QueueBackend, QueueConfig, Queues};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const REDIS_URL: &str = "redis://127.0.0.1:6379";
const JOBS: i64 = 20_000;

struct Count(AtomicU64);

impl JobHandler for Count {
    fn handle(&self, _job: Job, _attempt: u32) -> BoxFuture<'_, Result<(), JobFailure>> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Box::pin(async { Ok(()) })
    }
    fn dead(&self, _job: Job, _attempts: u32, _error: String) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

fn config(prefix: &str) -> QueueConfig {
    QueueConfig {
        backend: QueueBackend::Redis { url: REDIS_URL.into(), namespace_prefix: prefix.into() },
        concurrency: Concurrency { high: 32, medium: 1, low: 1 },
        batch_size: Some(100),
        worker_name: Some("bench".into()),
        ..QueueConfig::default()
    }
}

async fn delete_keys(prefix: &str) {
    let client = redis::Client::open(REDIS_URL).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS").arg(format!("{prefix}*")).query_async(&mut conn).await.unwrap();
    for chunk in keys.chunks(1000) {
        let _: () = redis::cmd("DEL").arg(chunk).query_async(&mut conn).await.unwrap();
    }
    // Registering a worker also adds its queue to this global apalis index.
    let listed: Vec<String> =
        redis::cmd("ZRANGE").arg("core:apalis:queues:list").arg(0).arg(-1).query_async(&mut conn).await.unwrap();
    for queue in listed.iter().filter(|q| q.starts_with(prefix)) {
        let _: () = redis::cmd("ZREM").arg("core:apalis:queues:list").arg(queue).query_async(&mut conn).await.unwrap();
    }
}

/// Returns (pushed per second, handled per second).
async fn run(workers: usize) -> (f64, f64) {
    let prefix = format!("bench:queue:{}:{workers}:", std::process::id());
    let cfg = config(&prefix);
    let pusher = Queues::connect(&cfg).await.unwrap();
    let jobs: Vec<Job> = (0..JOBS).map(|i| Job::SyncOrder(SyncOrderV1 { order_id: i, shipment_id: i })).collect();
    let start = Instant::now();
    pusher.push_all(&jobs).await.unwrap();
    let push_rate = JOBS as f64 / start.elapsed().as_secs_f64();

    let count = Arc::new(Count(AtomicU64::new(0)));
    let (stop_tx, _) = tokio::sync::broadcast::channel::<()>(1);
    let mut running = Vec::new();
    let start = Instant::now();
    for _ in 0..workers {
        let queues = Queues::connect(&cfg).await.unwrap();
        let handler = count.clone();
        let mut stop = stop_tx.subscribe();
        running.push(tokio::spawn(async move {
            queues
                .run(handler, async move {
                    let _ = stop.recv().await;
                })
                .await
        }));
    }
    while count.0.load(Ordering::Relaxed) < JOBS as u64 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let handle_rate = JOBS as f64 / start.elapsed().as_secs_f64();
    let _ = stop_tx.send(());
    for r in running {
        r.await.unwrap().unwrap();
    }
    delete_keys(&prefix).await;
    (push_rate, handle_rate)
}

fn redis_benchmark_lpush() -> Option<f64> {
    let out =
        std::process::Command::new("redis-benchmark").args(["-q", "-t", "lpush", "-n", "100000"]).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    // "LPUSH: 81037.28 requests per second, p50=0.311 msec"; -q redraws with \r, keep the last.
    let last = text.rsplit(['\r', '\n']).find(|l| l.contains("requests per second"))?;
    last.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let reachable = rt.block_on(async {
        let client = redis::Client::open(REDIS_URL).ok()?;
        client.get_multiplexed_async_connection().await.ok()
    });
    if reachable.is_none() {
        println!("queue bench: no Redis at {REDIS_URL}, skipped");
        return;
    }
    let lpush = redis_benchmark_lpush();
    // redis-benchmark leaves its `mylist` behind; the Redis is shared.
    rt.block_on(async {
        let client = redis::Client::open(REDIS_URL).unwrap();
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        let _: () = redis::cmd("DEL").arg("mylist").query_async(&mut conn).await.unwrap();
    });
    match lpush {
        Some(r) => println!("redis-benchmark lpush (reference): {r:>9.0} ops/s"),
        None => println!("redis-benchmark lpush (reference): redis-benchmark not found, no ratio"),
    }
    for workers in [1, 2] {
        let (push, handled) = rt.block_on(run(workers));
        let ratio = lpush.map(|r| format!("  ratio to lpush {:.3}", handled / r)).unwrap_or_default();
        println!(
            "apalis-redis, {workers} worker Queues in one process: push_all {push:>7.0} jobs/s, no-op jobs handled {handled:>7.0} jobs/s{ratio}"
        );
    }
}
