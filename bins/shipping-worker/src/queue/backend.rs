//! The seam between the queue layer and its two stores: every operation that differs between
//! Redis (production) and SQLite (zero-setup), one `match` each, in this file only. What each
//! arm does lives in `redis.rs` / `redis_repair.rs` and `sqlite.rs`; everything else in `queue/`
//! is backend-agnostic.
//!
//! An enum, not a trait: apalis' worker builder needs the concrete storage type, and a trait
//! would have to repeat its bounds (see `supervisor::run_worker`).

use super::config::{QueueBackend, QueueConfig};
use super::executor::{self, Executor};
use super::queues::{PRIORITIES, index, priority_name};
use super::supervisor::run_worker;
use super::{redis, redis_repair, sqlite};
use anyhow::Result;
use apalis::prelude::{BackendExt, Task, TaskSink, WorkerBuilder, WorkerBuilderExt, WorkerError};
use apalis_redis::{ConnectionManager, RedisStorage};
use apalis_sqlite::{SqlitePool, SqliteStorage};
use futures::future::BoxFuture;
use serde_json::Value;
use shipping_store::jobs::Priority;
use std::sync::Arc;

/// The three storages (one per priority, indexed by [`index`]) and the connection they share.
#[derive(Debug, Clone)]
pub(super) enum Backend {
    Redis { conn: ConnectionManager, storages: [RedisStorage<Value>; 3] },
    Sqlite { pool: SqlitePool, storages: [SqliteStorage<Value>; 3] },
}

/// Whatever a backend's push fails with, as text (the two error types share nothing else).
type PushResult<'a> = BoxFuture<'a, Result<(), String>>;

impl Backend {
    /// Connects to the configured backend (creating the SQLite file and tables when needed).
    pub async fn connect(cfg: &QueueConfig) -> Result<Backend> {
        match &cfg.backend {
            QueueBackend::Redis { url, namespace_prefix } => {
                let conn = redis::connection(url).await?;
                let storages = PRIORITIES.map(|p| {
                    let queue = format!("{namespace_prefix}{}", priority_name(p));
                    RedisStorage::new(conn.clone()).with_config(redis::config(cfg, p, &queue))
                });
                Ok(Backend::Redis { conn, storages })
            }
            QueueBackend::Sqlite { url } => Backend::sqlite(cfg, sqlite::open(url).await?).await,
        }
    }

    /// The SQLite backend in an existing pool (creates apalis' tables).
    pub async fn sqlite(cfg: &QueueConfig, pool: SqlitePool) -> Result<Backend> {
        let storages = sqlite::storages(cfg, &pool).await?;
        Ok(Backend::Sqlite { pool, storages })
    }

    /// The apalis queue name of a priority (on Redis, the prefix of all its keys).
    pub fn queue_name(&self, priority: Priority) -> String {
        match self {
            Backend::Redis { storages, .. } => storages[index(priority)].get_config().queue.as_ref().to_owned(),
            Backend::Sqlite { .. } => sqlite::queue_name(priority),
        }
    }

    /// Pushes one task.
    // Boxed with an explicit `Send` (as every future here): they are awaited inside apalis'
    // generic worker future, where rustc cannot otherwise prove `Send` (higher-ranked lifetimes).
    pub fn push_one(&self, priority: Priority, task: Task<Value>) -> PushResult<'_> {
        Box::pin(async move {
            match self {
                Backend::Redis { storages, .. } => {
                    storages[index(priority)].clone().push_task(task).await.map_err(|e| e.to_string())
                }
                Backend::Sqlite { storages, .. } => {
                    storages[index(priority)].clone().push_task(task).await.map_err(|e| e.to_string())
                }
            }
        })
    }

    /// Pushes tasks in one call (Redis: one Lua script; SQLite: one transaction).
    pub fn push_batch(&self, priority: Priority, tasks: Vec<Task<Value>>) -> PushResult<'_> {
        Box::pin(async move {
            let stream = futures::stream::iter(tasks);
            match self {
                Backend::Redis { storages, .. } => {
                    storages[index(priority)].clone().push_all(stream).await.map_err(|e| e.to_string())
                }
                Backend::Sqlite { storages, .. } => {
                    storages[index(priority)].clone().push_all(stream).await.map_err(|e| e.to_string())
                }
            }
        })
    }

    /// Whether due tasks must be moved to the ready list by us (`redis_repair::promote_due`).
    pub fn needs_promotion(&self) -> bool {
        matches!(self, Backend::Redis { .. })
    }

    /// Moves due tasks of a queue to its ready list; how many. No-op on SQLite.
    pub fn promote_due(&self, priority: Priority) -> BoxFuture<'_, Result<u64>> {
        Box::pin(async move {
            match self {
                Backend::Redis { conn, storages } => {
                    redis_repair::promote_due(conn, storages[index(priority)].get_config()).await
                }
                Backend::Sqlite { .. } => Ok(0),
            }
        })
    }

    /// (ready, scheduled) jobs of one queue.
    pub fn depth(&self, priority: Priority) -> BoxFuture<'_, Result<(u64, u64)>> {
        Box::pin(async move {
            match self {
                Backend::Redis { conn, storages } => redis::depth(conn, storages[index(priority)].get_config()).await,
                Backend::Sqlite { pool, .. } => sqlite::depth(pool, &sqlite::queue_name(priority)).await,
            }
        })
    }

    /// Deletes the finished (done or dead) tasks of one queue that finished at or before
    /// `cutoff` (unix seconds); how many.
    pub fn vacuum(&self, priority: Priority, cutoff: i64) -> BoxFuture<'_, Result<u64>> {
        Box::pin(async move {
            match self {
                Backend::Redis { conn, storages } => {
                    redis_repair::vacuum(conn, storages[index(priority)].get_config(), cutoff).await
                }
                Backend::Sqlite { pool, .. } => sqlite::vacuum(pool, &sqlite::queue_name(priority), cutoff).await,
            }
        })
    }

    /// Puts the tasks a stopped worker still holds back in its queue.
    pub fn release<'a>(&'a self, priority: Priority, worker: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            match self {
                Backend::Redis { conn, storages } => {
                    redis_repair::release(conn, storages[index(priority)].get_config(), worker).await
                }
                Backend::Sqlite { pool, .. } => sqlite::release(pool, worker).await,
            }
        })
    }

    /// One apalis worker named `name` on a priority's queue, every task through `exec`, until
    /// `signal` completes.
    pub fn worker(
        &self,
        priority: Priority,
        name: String,
        exec: Arc<Executor>,
        cfg: &QueueConfig,
        signal: BoxFuture<'static, ()>,
    ) -> BoxFuture<'static, Result<(), WorkerError>> {
        // A macro, because a generic function would have to repeat `run_worker`'s bounds.
        macro_rules! worker_on {
            ($storages:expr) => {{
                let worker = WorkerBuilder::new(name)
                    .backend($storages[index(priority)].clone().poll_with_interval(cfg.poll_interval()))
                    .concurrency(cfg.concurrency.of(priority))
                    .build(executor::service(exec));
                run_worker(worker, signal)
            }};
        }
        match self {
            Backend::Redis { storages, .. } => worker_on!(storages),
            Backend::Sqlite { storages, .. } => worker_on!(storages),
        }
    }
}
