//! Shared by the `queue_*` tests: a recording handler, per-test backends (a fresh Redis prefix,
//! deleted afterwards, or a SQLite file in a temp dir), and a runner handle.
#![allow(dead_code, clippy::unwrap_used)]

use futures::future::BoxFuture;
use shipping_store::jobs::{Job, SyncOrderV1};
use shipping_worker::queue::{JobFailure, JobHandler, QueueBackend, QueueConfig, Queues};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, oneshot};

pub const REDIS_URL: &str = "redis://127.0.0.1:6379";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Redis,
    Sqlite,
}

/// One test's queue location. Built by [`with_env`], which removes it afterwards.
#[derive(Debug, Clone)]
pub struct Env {
    pub cfg: QueueConfig,
    pub prefix: String,
}

impl Env {
    pub async fn queues(&self) -> Queues {
        Queues::connect(&self.cfg).await.unwrap()
    }
}

/// Runs `body` against a fresh queue location and cleans it up even when `body` panics.
pub async fn with_env<F, Fut>(backend: Backend, test: &str, body: F)
where
    F: FnOnce(Env) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let prefix = format!("test:{test}:{}:{nanos}:", std::process::id());
    let dir = tempfile::tempdir().unwrap();
    let backend_cfg = match backend {
        Backend::Redis => QueueBackend::Redis { url: REDIS_URL.to_owned(), namespace_prefix: prefix.clone() },
        Backend::Sqlite => QueueBackend::Sqlite { url: format!("sqlite://{}", dir.path().join("queue.db").display()) },
    };
    let cfg = QueueConfig {
        backend: backend_cfg,
        // Immediate retries keep the tests fast; the backoff itself is unit-tested.
        base_backoff_ms: 0,
        max_attempts: 4,
        shutdown_timeout_secs: 5,
        worker_name: Some(format!("test-{test}")),
        ..QueueConfig::default()
    };
    let outcome = tokio::spawn(body(Env { cfg, prefix: prefix.clone() })).await;
    if backend == Backend::Redis {
        delete_keys(&prefix).await;
    }
    drop(dir);
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// Deletes this test's keys only: the Redis is shared, never flushed.
pub async fn delete_keys(prefix: &str) {
    shipping_worker::queue::remove_namespace(REDIS_URL, prefix).await.unwrap();
}

pub async fn count_keys(prefix: &str) -> usize {
    let client = redis::Client::open(REDIS_URL).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS").arg(format!("{prefix}*")).query_async(&mut conn).await.unwrap();
    keys.len()
}

pub fn order(id: i64) -> Job {
    Job::SyncOrder(SyncOrderV1 { order_id: id, shipment_id: id })
}

pub fn id_of(job: &Job) -> i64 {
    match job {
        Job::SyncOrder(j) => j.order_id,
        Job::GenerateManifest(j) | Job::RefreshTracking(j) => j.shipment_ids.first().copied().unwrap_or(-1),
        other => panic!("unexpected test job {}", other.kind()),
    }
}

#[derive(Debug, Clone)]
pub struct Call {
    pub id: i64,
    pub attempt: u32,
    pub at: Instant,
}

#[derive(Debug, Clone)]
pub struct Dead {
    pub id: i64,
    pub attempts: u32,
    pub error: String,
}

type Script = dyn Fn(i64, u32) -> Result<(), JobFailure> + Send + Sync;

/// A handler that records every call and answers by a script of (job id, attempt).
pub struct Recorder {
    script: Box<Script>,
    /// How long each call takes.
    pub work: Duration,
    pub calls: Mutex<Vec<Call>>,
    pub finished: Mutex<Vec<i64>>,
    pub deads: Mutex<Vec<Dead>>,
    pub started: Notify,
}

impl Recorder {
    pub fn new(script: impl Fn(i64, u32) -> Result<(), JobFailure> + Send + Sync + 'static) -> Arc<Recorder> {
        Recorder::slow(Duration::ZERO, script)
    }

    pub fn ok() -> Arc<Recorder> {
        Recorder::new(|_, _| Ok(()))
    }

    pub fn slow(
        work: Duration,
        script: impl Fn(i64, u32) -> Result<(), JobFailure> + Send + Sync + 'static,
    ) -> Arc<Recorder> {
        Arc::new(Recorder {
            script: Box::new(script),
            work,
            calls: Mutex::default(),
            finished: Mutex::default(),
            deads: Mutex::default(),
            started: Notify::new(),
        })
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    pub fn calls_of(&self, id: i64) -> Vec<Call> {
        self.calls().into_iter().filter(|c| c.id == id).collect()
    }

    pub fn deads(&self) -> Vec<Dead> {
        self.deads.lock().unwrap().clone()
    }

    pub fn finished(&self) -> Vec<i64> {
        self.finished.lock().unwrap().clone()
    }
}

impl JobHandler for Recorder {
    fn handle(&self, job: Job, attempt: u32) -> BoxFuture<'_, Result<(), JobFailure>> {
        Box::pin(async move {
            let id = id_of(&job);
            self.calls.lock().unwrap().push(Call { id, attempt, at: Instant::now() });
            self.started.notify_one();
            if !self.work.is_zero() {
                tokio::time::sleep(self.work).await;
            }
            let outcome = (self.script)(id, attempt);
            self.finished.lock().unwrap().push(id);
            outcome
        })
    }

    fn dead(&self, job: Job, attempts: u32, error: String) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            self.deads.lock().unwrap().push(Dead { id: id_of(&job), attempts, error });
        })
    }
}

/// `Queues::run` in the background, stopped by [`Running::stop`].
pub struct Running {
    stop: Option<oneshot::Sender<()>>,
    handle: tokio::task::JoinHandle<anyhow::Result<()>>,
}

pub fn start(queues: &Queues, handler: Arc<dyn JobHandler>) -> Running {
    let (tx, rx) = oneshot::channel::<()>();
    let queues = queues.clone();
    let handle = tokio::spawn(async move {
        queues
            .run(handler, async {
                let _ = rx.await;
            })
            .await
    });
    Running { stop: Some(tx), handle }
}

impl Running {
    /// Like a SIGKILL for the queue: the run is dropped mid-flight, nothing is released or
    /// unregistered, heartbeats just stop.
    pub async fn kill(self) {
        self.handle.abort();
        let _ = self.handle.await;
    }

    /// Signals shutdown and waits for `run` to return.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        self.handle.await.unwrap()
    }
}

/// Polls `cond` every 20 ms until it holds or `limit` passes; says whether it held.
pub async fn eventually(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cond()
}
