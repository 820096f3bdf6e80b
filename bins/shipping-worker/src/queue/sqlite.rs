//! The SQLite backend (zero-setup, one process): apalis-sqlite settings and the few queries
//! apalis does not offer (depth, vacuum, releasing a stopped worker's tasks).

use super::config::QueueConfig;
use super::queues::{PRIORITIES, priority_name, unix_now};
use anyhow::{Context, Result};
use apalis_sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions, SqliteStorage};
use serde_json::Value;
use shipping_store::jobs::Priority;
use std::str::FromStr;

/// The SQLite backend is one process, so its queue names need no per-environment prefix.
const SQLITE_PREFIX: &str = "shipping:";

pub(super) fn queue_name(priority: Priority) -> String {
    format!("{SQLITE_PREFIX}{}", priority_name(priority))
}

/// Opens (creating when missing) the queue's own SQLite file.
pub(super) async fn open(url: &str) -> Result<SqlitePool> {
    let options = SqliteConnectOptions::from_str(url)
        .with_context(|| format!("invalid SQLite queue url {url:?}"))?
        .create_if_missing(true);
    SqlitePoolOptions::new().connect_with(options).await.context("opening the SQLite queue")
}

/// Creates apalis' tables in `pool` and one storage per priority.
pub(super) async fn storages(cfg: &QueueConfig, pool: &SqlitePool) -> Result<[SqliteStorage<Value>; 3]> {
    SqliteStorage::setup(pool).await.context("creating the SQLite queue tables")?;
    Ok(PRIORITIES.map(|p| SqliteStorage::new(pool).with_config(config(cfg, p, &queue_name(p)))))
}

fn config(cfg: &QueueConfig, priority: Priority, queue: &str) -> apalis_sqlite::Config {
    apalis_sqlite::Config::default()
        .queue(queue)
        .batch_size(cfg.batch_size_for(priority))
        .heartbeat_interval(cfg.heartbeat_interval())
        .missed_heartbeats(cfg.missed_heartbeats)
}

/// (ready, scheduled) of one queue.
pub(super) async fn depth(pool: &SqlitePool, queue: &str) -> Result<(u64, u64)> {
    let (ready, scheduled) = sqlx::query_as::<_, (i64, i64)>(
        "SELECT COALESCE(SUM(run_at <= ?2), 0), COALESCE(SUM(run_at > ?2), 0) \
         FROM Jobs WHERE job_type = ?1 AND status = 'Pending'",
    )
    .bind(queue)
    .bind(unix_now())
    .fetch_one(pool)
    .await
    .context("reading the SQLite queue depth")?;
    Ok((u64::try_from(ready).unwrap_or(0), u64::try_from(scheduled).unwrap_or(0)))
}

/// Deletes one queue's done and dead tasks finished at or before `cutoff`.
pub(super) async fn vacuum(pool: &SqlitePool, queue: &str, cutoff: i64) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM Jobs WHERE job_type = ?1 AND status IN ('Done', 'Killed') AND done_at <= ?2")
        .bind(queue)
        .bind(cutoff)
        .execute(pool)
        .await
        .context("vacuuming the SQLite queue")?
        .rows_affected())
}

/// Puts the tasks a stopped worker still holds back in its queue.
pub(super) async fn release(pool: &SqlitePool, worker: &str) -> Result<()> {
    sqlx::query(
        "UPDATE Jobs SET status = 'Pending', lock_by = NULL, lock_at = NULL \
         WHERE lock_by = ?1 AND status IN ('Queued', 'Running')",
    )
    .bind(worker)
    .execute(pool)
    .await
    .context("releasing in-flight SQLite jobs")?;
    Ok(())
}
