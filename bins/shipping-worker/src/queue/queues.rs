//! The apalis-backed queues: three per backend (one per [`Priority`]), the runner that applies our
//! retry policy around the [`JobHandler`], once-per-fleet cron, and graceful shutdown.

use super::config::{QueueBackend, QueueConfig};
use super::cron::{CronSchedule, tick_key};
use super::policy::{Decision, RetryPolicy};
use super::{JobFailure, JobHandler};
use anyhow::{Context, Result, anyhow};
use apalis::prelude::{
    AbortError, Backend, BackendExt, BoxDynError, Layer, LifecycleService, Service, Task, TaskBuilder, TaskSink,
    Worker, WorkerBuilder, WorkerBuilderExt, WorkerError,
};
use apalis_core::backend::BackendConfig;
use apalis_redis::{ConnectionManager, RedisStorage};
use apalis_sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions, SqliteStorage};
use chrono::{DateTime, Utc};
use futures::FutureExt;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use shipping_store::jobs::{Job, Priority, TracedJob};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// The three queues, in the order their workers are started.
pub const PRIORITIES: [Priority; 3] = [Priority::High, Priority::Medium, Priority::Low];

/// The SQLite backend is one process, so its queue names need no per-environment prefix.
const SQLITE_PREFIX: &str = "shipping:";

/// Bulk pushes go to Redis in chunks of this many (one Lua call each).
const PUSH_CHUNK: usize = 500;

/// Makes worker names unique between `run` calls of one process (several replicas in a test).
static NEXT_INSTANCE: AtomicU32 = AtomicU32::new(0);

fn index(priority: Priority) -> usize {
    match priority {
        Priority::High => 0,
        Priority::Medium => 1,
        Priority::Low => 2,
    }
}

/// The Redis list of a queue's due jobs (what an autoscaler watches, e.g. KEDA's `listName`).
pub fn redis_ready_list(queue: &str) -> String {
    apalis_redis::Config::default().queue(queue).active_jobs_list()
}

pub fn priority_name(priority: Priority) -> &'static str {
    match priority {
        Priority::High => "high",
        Priority::Medium => "medium",
        Priority::Low => "low",
    }
}

/// What travels through apalis: the job and which attempt this run is. The attempt lives in the
/// payload because we, not apalis, count attempts (see `policy`).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Envelope {
    job: Job,
    attempt: u32,
    /// The W3C trace context the job was promised in (absent in older envelopes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    traceparent: Option<String>,
}

impl Envelope {
    /// Also accepts a bare [`Job`], so a job pushed by another tool starts at attempt 1.
    fn decode(value: Value) -> Result<Envelope, serde_json::Error> {
        if value.get("job").is_some() {
            serde_json::from_value(value)
        } else {
            let traced: TracedJob = serde_json::from_value(value)?;
            Ok(Envelope { job: traced.job, attempt: 1, traceparent: traced.traceparent })
        }
    }

    fn first(job: &Job) -> Envelope {
        Envelope { job: job.clone(), attempt: 1, traceparent: None }
    }
}

/// Jobs waiting in one queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueDepth {
    pub priority: Priority,
    /// Due now, waiting for a worker.
    pub ready: u64,
    /// Waiting for their time: retries with a backoff, `push_after`.
    pub scheduled: u64,
}

impl QueueDepth {
    pub fn total(&self) -> u64 {
        self.ready + self.scheduled
    }
}

#[derive(Debug, Clone)]
enum Store {
    Redis { conn: ConnectionManager, storages: [RedisStorage<Value>; 3] },
    Sqlite { pool: SqlitePool, storages: [SqliteStorage<Value>; 3] },
}

type MakeJob = Arc<dyn Fn(DateTime<Utc>) -> Job + Send + Sync>;

#[derive(Clone)]
struct CronEntry {
    name: String,
    schedule: CronSchedule,
    make_job: MakeJob,
}

impl std::fmt::Debug for CronEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CronEntry").field("name", &self.name).field("schedule", &self.schedule).finish()
    }
}

#[derive(Debug)]
struct Inner {
    cfg: QueueConfig,
    store: Store,
    crons: Mutex<Vec<CronEntry>>,
}

/// Handle on the queues; cheap to clone (job handlers keep one to push follow-up jobs).
#[derive(Debug, Clone)]
pub struct Queues {
    inner: Arc<Inner>,
}

/// How long one Redis command may take. redis-rs' default (500 ms) is too short for a bulk
/// push of 500 jobs or a promotion of 1,000 due ones on a busy server, and a timed-out push is
/// a push whose outcome is unknown.
const REDIS_RESPONSE_TIMEOUT: Duration = Duration::from_secs(10);

/// A managed (reconnecting) connection for the queue, with our timeouts.
pub async fn redis_connection(url: &str) -> Result<ConnectionManager> {
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_response_timeout(Some(REDIS_RESPONSE_TIMEOUT))
        .set_connection_timeout(Some(Duration::from_secs(5)));
    redis::Client::open(url)
        .context("invalid Redis queue url")?
        .get_connection_manager_with_config(config)
        .await
        .context("connecting to the Redis queue")
}

/// apalis-redis' global index of queue names (every worker registers its queue there).
const APALIS_QUEUE_INDEX: &str = "core:apalis:queues:list";

/// Deletes every key under `prefix` (queues, tasks, the shared Shiprocket token) and takes its
/// queues out of apalis' global index; returns how many keys went. For retiring a namespace and
/// for tests, which each work under a prefix of their own on a shared Redis that is never
/// flushed. SCAN, not KEYS: it does not block a Redis that others use.
pub async fn remove_namespace(url: &str, prefix: &str) -> Result<u64> {
    anyhow::ensure!(!prefix.is_empty(), "refusing to remove every key: the prefix is empty");
    let mut conn = redis_connection(url).await?;
    let mut removed = 0;
    let mut cursor: u64 = 0;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{prefix}*"))
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut conn)
            .await
            .context("scanning the namespace")?;
        if !keys.is_empty() {
            removed += redis::cmd("DEL").arg(&keys).query_async::<u64>(&mut conn).await.context("deleting keys")?;
        }
        if next == 0 {
            break;
        }
        cursor = next;
    }
    let listed: Vec<String> =
        redis::cmd("ZRANGE").arg(APALIS_QUEUE_INDEX).arg(0).arg(-1).query_async(&mut conn).await?;
    let ours: Vec<&String> = listed.iter().filter(|q| q.starts_with(prefix)).collect();
    if !ours.is_empty() {
        redis::cmd("ZREM").arg(APALIS_QUEUE_INDEX).arg(ours).query_async::<()>(&mut conn).await?;
    }
    Ok(removed)
}

impl Queues {
    /// Connects to the configured backend (creating the SQLite file and tables when needed).
    pub async fn connect(cfg: &QueueConfig) -> Result<Queues> {
        cfg.validate()?;
        match &cfg.backend {
            QueueBackend::Redis { url, namespace_prefix } => {
                let conn = redis_connection(url).await?;
                let storages = PRIORITIES.map(|p| {
                    let queue = format!("{namespace_prefix}{}", priority_name(p));
                    RedisStorage::new(conn.clone()).with_config(redis_config(cfg, p, &queue))
                });
                Ok(Queues::from_store(cfg, Store::Redis { conn, storages }))
            }
            QueueBackend::Sqlite { url } => {
                let options = SqliteConnectOptions::from_str(url)
                    .with_context(|| format!("invalid SQLite queue url {url:?}"))?
                    .create_if_missing(true);
                let pool = SqlitePoolOptions::new().connect_with(options).await.context("opening the SQLite queue")?;
                Queues::with_sqlite_pool(cfg, pool).await
            }
        }
    }

    /// The embedded queue in an existing pool, e.g. the store's (`get_sqlite_connection_pool()`),
    /// so zero-setup mode has one file. Creates apalis' tables; the `backend` setting is ignored.
    pub async fn with_sqlite_pool(cfg: &QueueConfig, pool: SqlitePool) -> Result<Queues> {
        cfg.validate()?;
        SqliteStorage::setup(&pool).await.context("creating the SQLite queue tables")?;
        let storages = PRIORITIES.map(|p| {
            let queue = format!("{SQLITE_PREFIX}{}", priority_name(p));
            SqliteStorage::new(&pool).with_config(sqlite_config(cfg, p, &queue))
        });
        Ok(Queues::from_store(cfg, Store::Sqlite { pool, storages }))
    }

    fn from_store(cfg: &QueueConfig, store: Store) -> Queues {
        Queues { inner: Arc::new(Inner { cfg: cfg.clone(), store, crons: Mutex::new(Vec::new()) }) }
    }

    pub fn config(&self) -> &QueueConfig {
        &self.inner.cfg
    }

    /// The apalis queue name of a priority (the prefix of all its Redis keys).
    pub fn queue_name(&self, priority: Priority) -> String {
        match &self.inner.store {
            Store::Redis { storages, .. } => storages[index(priority)].get_config().queue.as_ref().to_owned(),
            Store::Sqlite { .. } => format!("{SQLITE_PREFIX}{}", priority_name(priority)),
        }
    }

    /// Queues a job on its priority's queue, to run now.
    pub async fn push(&self, job: &Job) -> Result<()> {
        self.push_envelope(Envelope::first(job), Duration::ZERO, None).await
    }

    /// Queues a job to run after `delay` (rounded up to a whole second: the backends store `run_at`
    /// in seconds, and rounding up keeps "not before").
    pub async fn push_after(&self, job: &Job, delay: Duration) -> Result<()> {
        self.push_envelope(Envelope::first(job), delay, None).await
    }

    /// Queues many jobs: one Redis call per priority and chunk of 500, one SQLite transaction each.
    pub async fn push_all(&self, jobs: &[Job]) -> Result<()> {
        let traced: Vec<TracedJob> = jobs.iter().map(|job| TracedJob { job: job.clone(), traceparent: None }).collect();
        self.push_all_traced(&traced).await
    }

    /// [`Queues::push_all`] keeping each job's trace context (the outbox relay).
    pub async fn push_all_traced(&self, jobs: &[TracedJob]) -> Result<()> {
        for priority in PRIORITIES {
            let tasks = jobs
                .iter()
                .filter(|t| t.job.priority() == priority)
                .map(|t| {
                    let envelope = Envelope { job: t.job.clone(), attempt: 1, traceparent: t.traceparent.clone() };
                    task_for(&envelope, None, None)
                })
                .collect::<Result<Vec<_>>>()?;
            for chunk in tasks.chunks(PUSH_CHUNK) {
                let stream = futures::stream::iter(chunk.to_vec());
                match &self.inner.store {
                    Store::Redis { storages, .. } => {
                        storages[index(priority)].clone().push_all(stream).await.map_err(|e| e.to_string())
                    }
                    Store::Sqlite { storages, .. } => {
                        storages[index(priority)].clone().push_all(stream).await.map_err(|e| e.to_string())
                    }
                }
                .map_err(|e| anyhow!("pushing {} jobs to the {} queue: {e}", chunk.len(), priority_name(priority)))?;
                self.promote_due(priority).await?;
            }
        }
        Ok(())
    }

    /// apalis-redis 1.0 pushes every task into the scheduled set, and its fetch moves *all* due
    /// ones to the active list with one Lua `unpack`, which fails beyond about 8,000 ids: the
    /// worker then dies on every fetch. So we move due tasks ourselves, 1,000 at a time, after
    /// bulk pushes and on every poll tick. No-op on SQLite.
    fn promote_due(&self, priority: Priority) -> BoxFuture<'_, Result<u64>> {
        Box::pin(async move {
            let Store::Redis { conn, storages } = &self.inner.store else { return Ok(0) };
            let config = storages[index(priority)].get_config();
            let script = redis::Script::new(PROMOTE_LUA);
            let mut moved = 0;
            loop {
                let n = script
                    .key(config.scheduled_jobs_set())
                    .key(config.active_jobs_list())
                    .key(config.signal_list())
                    .arg(unix_now())
                    .arg(PROMOTE_BATCH)
                    .invoke_async::<u64>(&mut conn.clone())
                    .await
                    .context("moving due Redis jobs to the active list")?;
                moved += n;
                if n < PROMOTE_BATCH {
                    return Ok(moved);
                }
            }
        })
    }

    async fn run_promoter(self, mut stop: watch::Receiver<bool>) -> Result<()> {
        loop {
            for priority in PRIORITIES {
                if let Err(error) = self.promote_due(priority).await {
                    tracing::warn!(queue = priority_name(priority), %error, "could not move due jobs");
                }
            }
            tokio::select! {
                () = tokio::time::sleep(self.inner.cfg.poll_interval()) => {}
                _ = stop.wait_for(|stopped| *stopped) => return Ok(()),
            }
        }
    }

    /// Queues a job unless a job with the same key was queued on its queue before (Redis: within
    /// `idempotency_ttl_secs`; SQLite: while the row exists).
    pub async fn push_unique(&self, job: &Job, key: &str) -> Result<()> {
        self.push_envelope(Envelope::first(job), Duration::ZERO, Some(key)).await
    }

    // Boxed with an explicit `Send` (also below): it is awaited inside apalis' generic worker
    // future, where rustc cannot otherwise prove `Send` (higher-ranked lifetime errors).
    fn push_envelope<'a>(
        &'a self,
        envelope: Envelope,
        delay: Duration,
        key: Option<&'a str>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.push_envelope_inner(envelope, delay, key))
    }

    async fn push_envelope_inner(&self, envelope: Envelope, delay: Duration, key: Option<&str>) -> Result<()> {
        let priority = envelope.job.priority();
        let task = task_for(&envelope, run_at_after(delay), key)?;
        match &self.inner.store {
            Store::Redis { storages, .. } => {
                storages[index(priority)].clone().push_task(task).await.map_err(|e| e.to_string())
            }
            Store::Sqlite { storages, .. } => {
                storages[index(priority)].clone().push_task(task).await.map_err(|e| e.to_string())
            }
        }
        .map_err(|e| anyhow!("pushing a {} job to the {} queue: {e}", envelope.job.kind(), priority_name(priority)))
    }

    /// Jobs waiting per queue, for metrics and `/readyz`.
    pub async fn depth(&self) -> Result<[QueueDepth; 3]> {
        let mut depths = PRIORITIES.map(|priority| QueueDepth { priority, ready: 0, scheduled: 0 });
        for depth in &mut depths {
            let (ready, scheduled) = match &self.inner.store {
                Store::Redis { conn, storages } => {
                    // apalis-redis pushes every task through the scheduled set (`run_at` = now at
                    // the latest) and moves due ones to the active list on the next fetch.
                    let config = storages[index(depth.priority)].get_config();
                    let now = unix_now();
                    let (active, due, later) = redis::pipe()
                        .cmd("LLEN")
                        .arg(config.active_jobs_list())
                        .cmd("ZCOUNT")
                        .arg(config.scheduled_jobs_set())
                        .arg("-inf")
                        .arg(now)
                        .cmd("ZCOUNT")
                        .arg(config.scheduled_jobs_set())
                        .arg(format!("({now}"))
                        .arg("+inf")
                        .query_async::<(u64, u64, u64)>(&mut conn.clone())
                        .await
                        .context("reading the Redis queue depth")?;
                    (active + due, later)
                }
                Store::Sqlite { pool, .. } => {
                    let (ready, scheduled) = sqlx::query_as::<_, (i64, i64)>(
                        "SELECT COALESCE(SUM(run_at <= ?2), 0), COALESCE(SUM(run_at > ?2), 0) \
                         FROM Jobs WHERE job_type = ?1 AND status = 'Pending'",
                    )
                    .bind(self.queue_name(depth.priority))
                    .bind(unix_now())
                    .fetch_one(pool)
                    .await
                    .context("reading the SQLite queue depth")?;
                    (u64::try_from(ready).unwrap_or(0), u64::try_from(scheduled).unwrap_or(0))
                }
            };
            depth.ready = ready;
            depth.scheduled = scheduled;
        }
        Ok(depths)
    }

    /// Deletes finished jobs (done, or dead-lettered: the handler's `dead` has recorded those)
    /// that finished more than `older_than` ago; returns how many. apalis keeps every task's
    /// payload and metadata forever otherwise (on Redis a hash field and a key per job), and its
    /// own vacuum scans every task ever stored. For the daily cleanup job.
    pub async fn vacuum(&self, older_than: Duration) -> Result<u64> {
        let cutoff = unix_now().saturating_sub(i64::try_from(older_than.as_secs()).unwrap_or(i64::MAX));
        let mut deleted = 0;
        for priority in PRIORITIES {
            deleted += match &self.inner.store {
                Store::Redis { conn, storages } => {
                    let config = storages[index(priority)].get_config();
                    let mut removed = 0;
                    for set in [config.done_jobs_set(), config.dead_jobs_set()] {
                        removed += vacuum_redis_set(&mut conn.clone(), config, &set, cutoff).await?;
                    }
                    removed
                }
                Store::Sqlite { pool, .. } => sqlx::query(
                    "DELETE FROM Jobs WHERE job_type = ?1 AND status IN ('Done', 'Killed') AND done_at <= ?2",
                )
                .bind(self.queue_name(priority))
                .bind(cutoff)
                .execute(pool)
                .await
                .context("vacuuming the SQLite queue")?
                .rows_affected(),
            };
        }
        Ok(deleted)
    }

    /// Runs `name` on `schedule` while [`Queues::run`] runs. Every replica pushes each tick's job
    /// with the key `cron:{name}:{tick}`, so one job per tick runs fleet-wide.
    pub fn schedule_cron<F>(&self, name: &str, schedule: CronSchedule, make_job: F) -> Result<()>
    where
        F: Fn() -> Job + Send + Sync + 'static,
    {
        self.schedule_cron_at(name, schedule, move |_| make_job())
    }

    /// [`Queues::schedule_cron`] for jobs that need the tick's time.
    pub fn schedule_cron_at<F>(&self, name: &str, schedule: CronSchedule, make_job: F) -> Result<()>
    where
        F: Fn(DateTime<Utc>) -> Job + Send + Sync + 'static,
    {
        let mut crons = self.inner.crons.lock().map_err(|_| anyhow!("the cron list is poisoned"))?;
        anyhow::ensure!(crons.iter().all(|c| c.name != name), "cron job {name:?} is scheduled twice");
        crons.push(CronEntry { name: name.to_owned(), schedule, make_job: Arc::new(make_job) });
        Ok(())
    }

    /// Runs one apalis worker per queue, and the cron schedules, until `shutdown` completes. Then
    /// workers stop taking jobs and in-flight jobs get `shutdown_timeout_secs` to finish; jobs
    /// still running after that are cancelled and released back to their queue.
    pub async fn run<F>(&self, handler: Arc<dyn JobHandler>, shutdown: F) -> Result<()>
    where
        F: Future<Output = ()> + Send,
    {
        let (stop_tx, stop_rx) = watch::channel(false);
        let instance = NEXT_INSTANCE.fetch_add(1, Ordering::Relaxed);
        let replica = replica_name(&self.inner.cfg);
        let mut tasks = JoinSet::new();
        if matches!(self.inner.store, Store::Redis { .. }) {
            // A first pass before the workers' first fetch, which a backlog would make fail.
            for priority in PRIORITIES {
                self.promote_due(priority).await?;
            }
            tasks.spawn(self.clone().run_promoter(stop_rx.clone()));
        }
        for priority in PRIORITIES {
            let name = format!("{replica}-{}-{instance}-{}", process_token(), priority_name(priority));
            tasks.spawn(self.clone().run_queue(priority, name, handler.clone(), stop_rx.clone()));
        }
        let crons = self.inner.crons.lock().map_err(|_| anyhow!("the cron list is poisoned"))?.clone();
        for cron in crons {
            tasks.spawn(self.clone().run_cron(cron, stop_rx.clone()));
        }

        let mut first_error = None;
        tokio::select! {
            () = shutdown => tracing::info!("queue shutdown requested"),
            Some(early) = tasks.join_next() => {
                // Workers only return once stopped, so this is a panic or a bug: stop the rest.
                first_error = Some(anyhow!("a queue task ended before shutdown: {:?}", early.err()));
            }
        }
        stop_tx.send_replace(true);
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(Ok(())) => {}
                Ok(Err(e)) => first_error = first_error.or(Some(e)),
                Err(e) => first_error = first_error.or(Some(anyhow!("a queue task panicked: {e}"))),
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// One priority's worker, restarted under a new name when its backend fails (apalis refuses
    /// to re-register a name that is still in its heartbeat window).
    async fn run_queue(
        self,
        priority: Priority,
        name: String,
        handler: Arc<dyn JobHandler>,
        stop: watch::Receiver<bool>,
    ) -> Result<()> {
        let cfg = &self.inner.cfg;
        let exec = Arc::new(Executor {
            queues: self.clone(),
            handler,
            policy: RetryPolicy {
                max_attempts: cfg.max_attempts,
                by_class: cfg.attempts_by_class,
                base_backoff: cfg.base_backoff(),
                max_backoff: cfg.max_backoff(),
            },
            job_timeout: cfg.job_timeout(),
        });
        let mut pause = Duration::from_secs(1);
        for generation in 0u32.. {
            let worker_name = format!("{name}-{generation}");
            let started = std::time::Instant::now();
            // The same worker on either storage: a macro, because a generic function would have
            // to repeat `run_worker`'s bounds for each storage type.
            macro_rules! worker_on {
                ($storages:expr) => {{
                    let worker = WorkerBuilder::new(worker_name.clone())
                        .backend($storages[index(priority)].clone().poll_with_interval(cfg.poll_interval()))
                        .concurrency(cfg.concurrency.of(priority))
                        .build(service(exec.clone()));
                    until_stopped(run_worker(worker, stopped(stop.clone())), cfg.shutdown_timeout(), stop.clone()).await
                }};
            }
            let exit = match &self.inner.store {
                Store::Redis { storages, .. } => worker_on!(storages),
                Store::Sqlite { storages, .. } => worker_on!(storages),
            };
            // apalis only recovers a worker's in-flight jobs through its heartbeat entry, which a
            // clean close removes: whatever is still held (cancelled at the timeout, a fetch cut
            // short) goes back to the queue now. A no-op after a clean drain.
            if let Err(error) = self.release(priority, &worker_name).await {
                tracing::warn!(worker = %worker_name, %error, "could not release in-flight jobs");
            }
            match exit {
                Exit::Stopped => return Ok(()),
                Exit::TimedOut => {
                    tracing::warn!(worker = %worker_name, "in-flight jobs outlived the shutdown timeout; released");
                    return Ok(());
                }
                Exit::Failed(error) => {
                    if *stop.borrow() {
                        return Ok(());
                    }
                    tracing::error!(worker = %worker_name, %error, "queue worker failed; restarting");
                    if started.elapsed() > Duration::from_secs(60) {
                        // It had been healthy: a new outage starts the backoff afresh.
                        pause = Duration::from_secs(1);
                    }
                    tokio::select! {
                        () = tokio::time::sleep(pause) => {}
                        () = stopped(stop.clone()) => return Ok(()),
                    }
                    pause = (pause * 2).min(Duration::from_secs(30));
                }
            }
        }
        Ok(())
    }

    /// Puts the jobs a stopped worker still holds back in its queue (rather than waiting for
    /// another worker to notice missed heartbeats, which never happens once the worker has
    /// unregistered).
    fn release<'a>(&'a self, priority: Priority, worker: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.release_inner(priority, worker))
    }

    async fn release_inner(&self, priority: Priority, worker: &str) -> Result<()> {
        match &self.inner.store {
            Store::Redis { conn, storages } => {
                let config = storages[index(priority)].get_config();
                redis::Script::new(RELEASE_LUA)
                    .key(format!("{}:{worker}", config.inflight_jobs_set()))
                    .key(config.active_jobs_list())
                    .key(config.job_meta_hash())
                    .key(config.workers_set())
                    .arg(worker)
                    .invoke_async::<u64>(&mut conn.clone())
                    .await
                    .context("releasing in-flight Redis jobs")?;
            }
            Store::Sqlite { pool, .. } => {
                sqlx::query(
                    "UPDATE Jobs SET status = 'Pending', lock_by = NULL, lock_at = NULL \
                     WHERE lock_by = ?1 AND status IN ('Queued', 'Running')",
                )
                .bind(worker)
                .execute(pool)
                .await
                .context("releasing in-flight SQLite jobs")?;
            }
        }
        Ok(())
    }

    async fn run_cron(self, cron: CronEntry, mut stop: watch::Receiver<bool>) -> Result<()> {
        let mut after = Utc::now();
        while let Some(tick) = cron.schedule.next_after(after) {
            let wait = (tick - Utc::now()).to_std().unwrap_or_default();
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                _ = stop.wait_for(|stopped| *stopped) => return Ok(()),
            }
            let job = (cron.make_job)(tick);
            match self.push_unique(&job, &tick_key(&cron.name, tick)).await {
                Ok(()) => tracing::debug!(cron = %cron.name, tick = tick.timestamp(), "cron tick pushed"),
                // Another replica may still push this tick; the next tick is tried regardless.
                Err(error) => tracing::warn!(cron = %cron.name, %error, "cron tick not pushed"),
            }
            // Ticks missed while this replica lagged are skipped: they belong to other replicas.
            after = tick.max(Utc::now());
        }
        Ok(())
    }
}

/// Deletes the finished tasks of one set (done or dead) that finished at or before `cutoff`.
/// Boxed like `release`, so callers inside job handlers stay `Send`.
fn vacuum_redis_set<'a>(
    conn: &'a mut ConnectionManager,
    config: &'a apalis_redis::Config,
    set: &'a str,
    cutoff: i64,
) -> BoxFuture<'a, Result<u64>> {
    Box::pin(async move {
        let script = redis::Script::new(VACUUM_LUA);
        let mut cursor: u64 = 0;
        let mut removed = 0;
        loop {
            let (next, ids): (u64, Vec<String>) = redis::cmd("SSCAN")
                .arg(set)
                .arg(cursor)
                .arg("COUNT")
                .arg(500)
                .query_async(&mut *conn)
                .await
                .context("scanning finished Redis jobs")?;
            if !ids.is_empty() {
                let mut invocation = script.prepare_invoke();
                invocation.key(set).key(config.job_data_hash()).key(config.job_meta_hash()).arg(cutoff).arg(&ids);
                removed += invocation.invoke_async::<u64>(&mut *conn).await.context("vacuuming finished Redis jobs")?;
            }
            if next == 0 {
                return Ok(removed);
            }
            cursor = next;
        }
    })
}

const VACUUM_LUA: &str = r#"
local removed = 0
for i = 2, #ARGV do
    local id = ARGV[i]
    local meta = KEYS[3] .. ":" .. id
    local done_at = tonumber(redis.call("hget", meta, "done_at"))
    if done_at == nil or done_at <= tonumber(ARGV[1]) then
        redis.call("hdel", KEYS[2], id)
        redis.call("del", meta)
        redis.call("srem", KEYS[1], id)
        removed = removed + 1
    end
end
return removed
"#;

const PROMOTE_BATCH: u64 = 1000;

/// KEYS: scheduled set, active list, signal list; ARGV: now (unix s), batch. As apalis' fetch
/// does, minus the unbounded `unpack`.
const PROMOTE_LUA: &str = r#"
local ids = redis.call("zrangebyscore", KEYS[1], 0, ARGV[1], "LIMIT", 0, tonumber(ARGV[2]))
if #ids > 0 then
    redis.call("rpush", KEYS[2], unpack(ids))
    redis.call("zrem", KEYS[1], unpack(ids))
    redis.call("del", KEYS[3])
    redis.call("lpush", KEYS[3], 1)
end
return #ids
"#;

/// Moves every job in the worker's in-flight set back to the active list, and forgets the worker.
const RELEASE_LUA: &str = r#"
local ids = redis.call("smembers", KEYS[1])
for _, id in ipairs(ids) do
    redis.call("rpush", KEYS[2], id)
    local meta = KEYS[3] .. ":" .. id
    redis.call("hset", meta, "status", "Pending")
    redis.call("hdel", meta, "locked_at", "locked_by")
end
redis.call("del", KEYS[1])
redis.call("zrem", KEYS[4], ARGV[1])
return #ids
"#;

/// The task function: every task goes through the [`Executor`].
fn service(exec: Arc<Executor>) -> impl FnMut(Value) -> BoxFuture<'static, Result<(), BoxDynError>> + Clone {
    move |args: Value| {
        let exec = exec.clone();
        Box::pin(async move { exec.execute(args).await })
    }
}

/// Runs the worker until it fails or `stop` fires and its in-flight jobs are done; gives up on
/// them `grace` after `stop`.
fn until_stopped(
    run: BoxFuture<'static, Result<(), WorkerError>>,
    grace: Duration,
    stop: watch::Receiver<bool>,
) -> BoxFuture<'static, Exit> {
    Box::pin(async move {
        let deadline = stopped(stop).then(move |()| tokio::time::sleep(grace));
        tokio::select! {
            result = run => match result {
                Ok(()) => Exit::Stopped,
                Err(e) => Exit::Failed(e.to_string()),
            },
            () = deadline => Exit::TimedOut,
        }
    })
}

/// `Worker::run_until`, boxed in a generic function with apalis' own bounds (as its `Monitor`
/// does): with the concrete types, rustc cannot prove the worker future `Send` (higher-ranked
/// lifetime errors around `BoxDynError`).
fn run_worker<Args, S, M, FB>(
    worker: Worker<Args, FB, S, M>,
    signal: BoxFuture<'static, ()>,
) -> BoxFuture<'static, Result<(), WorkerError>>
where
    FB: BackendConfig + Backend<Task = Task<FB::Args>> + Send + Unpin + 'static,
    S: Service<Task<FB::Args>> + Send + 'static,
    FB::Args: Send + 'static,
    Args: Send + 'static,
    FB::Error: Into<BoxDynError> + Send + 'static,
    M: Layer<LifecycleService<S>> + Send + 'static,
    FB::Layer: Layer<<M as Layer<LifecycleService<S>>>::Service>,
    <FB::Layer as Layer<<M as Layer<LifecycleService<S>>>::Service>>::Service: Service<Task<FB::Args>>,
    <FB::Layer as Layer<<M as Layer<LifecycleService<S>>>::Service>>::Service: Send + 'static,
    <<FB::Layer as Layer<<M as Layer<LifecycleService<S>>>::Service>>::Service as Service<
        Task<<FB as BackendConfig>::Args>,
    >>::Future: Send,
    <<FB::Layer as Layer<<M as Layer<LifecycleService<S>>>::Service>>::Service as Service<
        Task<<FB as BackendConfig>::Args>,
    >>::Error: Into<BoxDynError> + Send + Sync + 'static,
    <<FB::Layer as Layer<<M as Layer<LifecycleService<S>>>::Service>>::Service as Service<
        Task<<FB as BackendConfig>::Args>,
    >>::Response: Send + Sync + 'static,
{
    worker.run_until(signal.map(Ok::<(), WorkerError>)).boxed()
}

enum Exit {
    Stopped,
    TimedOut,
    Failed(String),
}

/// Runs one task: decode, call the handler (bounded by the job timeout, panics caught), then
/// carry out the policy's decision.
struct Executor {
    queues: Queues,
    handler: Arc<dyn JobHandler>,
    policy: RetryPolicy,
    job_timeout: Duration,
}

impl Executor {
    fn execute(&self, args: Value) -> BoxFuture<'_, Result<(), BoxDynError>> {
        Box::pin(self.execute_inner(args))
    }

    async fn execute_inner(&self, args: Value) -> Result<(), BoxDynError> {
        let Envelope { job, attempt, traceparent } = match Envelope::decode(args) {
            Ok(envelope) => envelope,
            Err(e) => {
                // Retrying cannot fix the payload; AbortError keeps apalis from re-scheduling it.
                tracing::error!(error = %e, "undecodable job dropped");
                return Err(AbortError::new(e).into());
            }
        };
        let attempt = attempt.max(1);
        let kind = job.kind();
        let span = crate::metrics::job_span(&job, attempt, traceparent.as_deref());
        let call = tracing::Instrument::instrument(
            tokio::time::timeout(self.job_timeout, self.handler.handle(job.clone(), attempt)),
            span,
        );
        let outcome = match AssertUnwindSafe(call).catch_unwind().await {
            Ok(Ok(result)) => result,
            Ok(Err(_elapsed)) => Err(JobFailure::retry(format!("timed out after {:?}", self.job_timeout))),
            Err(_panic) => Err(JobFailure::retry("the handler panicked")),
        };
        match self.policy.decide(&outcome, attempt) {
            Decision::Done => {
                tracing::debug!(kind, attempt, "job done");
                Ok(())
            }
            Decision::Retry { delay } => {
                let reason = outcome.err().map(|e| e.reason().to_owned()).unwrap_or_default();
                tracing::info!(kind, attempt, ?delay, %reason, "job will be retried");
                // If this push fails the error goes to apalis, which keeps the task and runs it
                // again (same attempt number): better a repeat than a lost job.
                self.queues.push_envelope(Envelope { job, attempt: attempt + 1, traceparent }, delay, None).await?;
                Ok(())
            }
            Decision::Dead { reason } => {
                tracing::warn!(kind, attempt, %reason, "job dead-lettered");
                let dead = self.handler.dead(job, attempt, reason.clone());
                if AssertUnwindSafe(dead).catch_unwind().await.is_err() {
                    tracing::error!(kind, "the dead-letter handler panicked");
                }
                // Killed in apalis' books (its dead set), never re-scheduled.
                Err(AbortError::new(reason).into())
            }
        }
    }
}

fn task_for(envelope: &Envelope, run_at: Option<u64>, key: Option<&str>) -> Result<Task<Value>> {
    let mut builder = TaskBuilder::new(serde_json::to_value(envelope).context("encoding a job")?);
    if let Some(at) = run_at {
        builder = builder.run_at_timestamp(at);
    }
    if let Some(key) = key {
        builder = builder.idempotency_key(key);
    }
    Ok(builder.build())
}

/// `now + delay` in whole seconds, rounded up; `None` for no delay.
fn run_at_after(delay: Duration) -> Option<u64> {
    if delay.is_zero() {
        return None;
    }
    let at = SystemTime::now().checked_add(delay)?.duration_since(UNIX_EPOCH).ok()?;
    Some(at.as_secs() + u64::from(at.subsec_nanos() > 0))
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn stopped(mut stop: watch::Receiver<bool>) -> BoxFuture<'static, ()> {
    Box::pin(async move {
        // A dropped sender also means stop.
        let _ = stop.wait_for(|stopped| *stopped).await;
    })
}

fn redis_config(cfg: &QueueConfig, priority: Priority, queue: &str) -> apalis_redis::Config {
    apalis_redis::Config::default()
        .queue(queue)
        .batch_size(cfg.batch_size_for(priority))
        .heartbeat_interval(cfg.heartbeat_interval())
        .missed_heartbeats(cfg.missed_heartbeats)
        // Nothing subscribes to apalis' pub/sub events; skip the PUBLISH per push and ack.
        .emit_events(false)
        // Leases only label running tasks (crash recovery goes by the worker's in-flight set),
        // and taking one LREMs the task from the active list: O(backlog) per task, measured at
        // 7 ms per script with 20k queued, capping a worker near 3k jobs/s.
        .lock_tasks(false)
        // `None` would make apalis-redis `EXPIRE key 0`, i.e. no idempotency at all.
        .idempotency_ttl(Some(cfg.idempotency_ttl()))
}

fn sqlite_config(cfg: &QueueConfig, priority: Priority, queue: &str) -> apalis_sqlite::Config {
    apalis_sqlite::Config::default()
        .queue(queue)
        .batch_size(cfg.batch_size_for(priority))
        .heartbeat_interval(cfg.heartbeat_interval())
        .missed_heartbeats(cfg.missed_heartbeats)
}

/// Pid and start time: a restarted container keeps its pod name and often pid 1, and apalis
/// refuses a worker name whose previous owner was seen within the heartbeat window.
fn process_token() -> &'static str {
    static TOKEN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TOKEN.get_or_init(|| {
        let started = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
        format!("{}-{started:x}", std::process::id())
    })
}

/// Completes on SIGTERM (Kubernetes, systemd) or Ctrl-C: the usual `shutdown` for [`Queues::run`].
pub async fn termination_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM; only Ctrl-C stops the worker");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The replica part of worker names: configured, else the pod or host name.
fn replica_name(cfg: &QueueConfig) -> String {
    let name = cfg
        .worker_name
        .clone()
        .or_else(|| std::env::var("POD_NAME").ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .unwrap_or_default();
    let name = name.trim();
    if name.is_empty() { "worker".to_owned() } else { name.replace(char::is_whitespace, "_") }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use shipping_store::jobs::SyncOrderV1;

    #[test]
    fn delays_round_up_to_whole_seconds_so_a_job_never_runs_early() {
        assert_eq!(run_at_after(Duration::ZERO), None);
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64();
        let at = run_at_after(Duration::from_millis(1001)).unwrap() as f64;
        assert!(at >= now + 1.001 && at <= now + 3.0, "{at} vs {now}");
    }

    #[test]
    fn envelopes_and_bare_jobs_decode() {
        let job = Job::SyncOrder(SyncOrderV1 { order_id: 1, shipment_id: 2 });
        let enveloped = serde_json::to_value(Envelope { job: job.clone(), attempt: 3, traceparent: None }).unwrap();
        let decoded = Envelope::decode(enveloped).unwrap();
        assert_eq!((decoded.job, decoded.attempt), (job.clone(), 3));
        let bare = Envelope::decode(serde_json::to_value(&job).unwrap()).unwrap();
        assert_eq!((bare.job, bare.attempt), (job, 1));
        assert!(Envelope::decode(serde_json::json!({"type": "launch_rocket"})).is_err());
    }
}
