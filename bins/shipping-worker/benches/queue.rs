//! No-op jobs per second through apalis-redis with 1 and 2 worker processes, beside
//! `redis-benchmark -t lpush` measured in the same run. `make bench`; needs Redis on 6379.
//!
//! The worker processes are this benchmark binary again (`BENCH_QUEUE_WORKER=<prefix>`): each
//! runs `Queues::run` with a handler that only counts, and publishes its count to Redis so the
//! parent can sum them; SIGTERM stops it through the queue's graceful shutdown.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

#[path = "../tests/queue_support/mod.rs"]
mod queue_support;

use futures::future::BoxFuture;
use shipping_store::jobs::{Job, SyncOrderV1};
use shipping_worker::queue::{Concurrency, JobFailure, JobHandler, QueueBackend, QueueConfig, Queues};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use queue_support::REDIS_URL;
const JOBS: i64 = 20_000;
const CHILD: &str = "BENCH_QUEUE_WORKER";

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
        poll_interval_ms: 20,
        shutdown_timeout_secs: 5,
        worker_name: Some("bench".into()),
        ..QueueConfig::default()
    }
}

async fn redis() -> redis::aio::MultiplexedConnection {
    redis::Client::open(REDIS_URL).unwrap().get_multiplexed_async_connection().await.unwrap()
}

/// The child: work the queue under `prefix` until SIGTERM, publishing the count every 20 ms.
async fn child(prefix: String) {
    let queues = Queues::connect(&config(&prefix)).await.unwrap();
    let count = Arc::new(Count(AtomicU64::new(0)));
    let key = format!("{prefix}bench:done:{}", std::process::id());
    let publisher = {
        let count = count.clone();
        tokio::spawn(async move {
            let mut conn = redis().await;
            loop {
                let n = count.0.load(Ordering::Relaxed);
                let _: () = redis::cmd("SET").arg(&key).arg(n).query_async(&mut conn).await.unwrap();
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    queues.run(count, shipping_worker::queue::termination_signal()).await.unwrap();
    publisher.abort();
}

async fn handled(prefix: &str) -> u64 {
    let mut conn = redis().await;
    let keys: Vec<String> =
        redis::cmd("KEYS").arg(format!("{prefix}bench:done:*")).query_async(&mut conn).await.unwrap();
    let mut total = 0;
    for k in keys {
        let n: Option<u64> = redis::cmd("GET").arg(&k).query_async(&mut conn).await.unwrap();
        total += n.unwrap_or(0);
    }
    total
}

/// Returns (pushed per second, handled per second) with `workers` worker processes.
async fn run(workers: usize) -> (f64, f64) {
    let prefix = format!("bench:queue:{}:{workers}:", std::process::id());
    let mut children: Vec<Child> = (0..workers)
        .map(|_| {
            Command::new(std::env::current_exe().unwrap()).env(CHILD, &prefix).stdout(Stdio::null()).spawn().unwrap()
        })
        .collect();
    // Let the workers register and start polling before the clock starts.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let pusher = Queues::connect(&config(&prefix)).await.unwrap();
    let jobs: Vec<Job> = (0..JOBS).map(|i| Job::SyncOrder(SyncOrderV1 { order_id: i, shipment_id: i })).collect();
    let start = Instant::now();
    pusher.push_all(&jobs).await.unwrap();
    let push_rate = JOBS as f64 / start.elapsed().as_secs_f64();
    // Handled = counted by the children; measured from the first push (they run while it pushes).
    while handled(&prefix).await < JOBS as u64 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let handle_rate = JOBS as f64 / start.elapsed().as_secs_f64();
    for c in &mut children {
        let _ = Command::new("kill").arg("-TERM").arg(c.id().to_string()).status();
    }
    for c in &mut children {
        let _ = c.wait();
    }
    queue_support::delete_keys(&prefix).await;
    (push_rate, handle_rate)
}

fn redis_benchmark_lpush() -> Option<f64> {
    let out = Command::new("redis-benchmark").args(["-q", "-t", "lpush", "-n", "100000"]).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    // "LPUSH: 81037.28 requests per second, p50=0.311 msec"; -q redraws with \r, keep the last.
    let last = text.rsplit(['\r', '\n']).find(|l| l.contains("requests per second"))?;
    last.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    if let Ok(prefix) = std::env::var(CHILD) {
        rt.block_on(child(prefix));
        return;
    }
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
        let _: () = redis::cmd("DEL").arg("mylist").query_async(&mut redis().await).await.unwrap();
    });
    match lpush {
        Some(r) => println!("redis-benchmark lpush (reference): {r:>9.0} ops/s"),
        None => println!("redis-benchmark lpush (reference): redis-benchmark not found, no ratio"),
    }
    let mut one = None;
    for workers in [1, 2] {
        let (push, handled) = rt.block_on(run(workers));
        let ratio = lpush.map(|r| format!("  ratio to lpush {:.3}", handled / r)).unwrap_or_default();
        let scaling = one.map(|o: f64| format!("  ×{:.2} of 1 process", handled / o)).unwrap_or_default();
        println!(
            "apalis-redis, {workers} worker process(es): push_all {push:>7.0} jobs/s, no-op jobs handled {handled:>7.0} jobs/s{ratio}{scaling}"
        );
        one.get_or_insert(handled);
    }
}
