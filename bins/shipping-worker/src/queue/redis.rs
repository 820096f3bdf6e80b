//! The Redis backend (production): connection, apalis-redis settings, depth, and retiring a
//! namespace. The scripts that repair apalis-redis' own behaviour are in `redis_repair.rs`.

use super::config::QueueConfig;
use super::queues::unix_now;
use anyhow::{Context, Result};
use apalis_redis::ConnectionManager;
use shipping_store::jobs::Priority;
use std::time::Duration;

/// How long one Redis command may take. redis-rs' default (500 ms) is too short for a bulk
/// push of 500 jobs or a promotion of 1,000 due ones on a busy server, and a timed-out push is
/// a push whose outcome is unknown.
const REDIS_RESPONSE_TIMEOUT: Duration = Duration::from_secs(10);

/// apalis-redis' global index of queue names (every worker registers its queue there).
const APALIS_QUEUE_INDEX: &str = "core:apalis:queues:list";

/// A managed (reconnecting) connection for the queue, with our timeouts.
pub async fn connection(url: &str) -> Result<ConnectionManager> {
    let config = ::redis::aio::ConnectionManagerConfig::new()
        .set_response_timeout(Some(REDIS_RESPONSE_TIMEOUT))
        .set_connection_timeout(Some(Duration::from_secs(5)));
    ::redis::Client::open(url)
        .context("invalid Redis queue url")?
        .get_connection_manager_with_config(config)
        .await
        .context("connecting to the Redis queue")
}

/// The Redis list of a queue's due jobs (what an autoscaler watches, e.g. KEDA's `listName`).
pub fn ready_list(queue: &str) -> String {
    apalis_redis::Config::default().queue(queue).active_jobs_list()
}

pub(super) fn config(cfg: &QueueConfig, priority: Priority, queue: &str) -> apalis_redis::Config {
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

/// (ready, scheduled) of one queue. apalis-redis pushes every task through the scheduled set
/// (`run_at` = now at the latest) and moves due ones to the active list on the next fetch, so
/// due members of the scheduled set count as ready.
pub(super) async fn depth(conn: &ConnectionManager, config: &apalis_redis::Config) -> Result<(u64, u64)> {
    let now = unix_now();
    let (active, due, later) = ::redis::pipe()
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
    Ok((active + due, later))
}

/// Deletes every key under `prefix` (queues, tasks, the shared Shiprocket token) and takes its
/// queues out of apalis' global index; returns how many keys went. For retiring a namespace and
/// for tests, which each work under a prefix of their own on a shared Redis that is never
/// flushed. SCAN, not KEYS: it does not block a Redis that others use.
pub async fn remove_namespace(url: &str, prefix: &str) -> Result<u64> {
    anyhow::ensure!(!prefix.is_empty(), "refusing to remove every key: the prefix is empty");
    let mut conn = connection(url).await?;
    let mut removed = 0;
    let mut cursor: u64 = 0;
    loop {
        let (next, keys): (u64, Vec<String>) = ::redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{prefix}*"))
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut conn)
            .await
            .context("scanning the namespace")?;
        if !keys.is_empty() {
            removed += ::redis::cmd("DEL").arg(&keys).query_async::<u64>(&mut conn).await.context("deleting keys")?;
        }
        if next == 0 {
            break;
        }
        cursor = next;
    }
    let listed: Vec<String> =
        ::redis::cmd("ZRANGE").arg(APALIS_QUEUE_INDEX).arg(0).arg(-1).query_async(&mut conn).await?;
    let ours: Vec<&String> = listed.iter().filter(|q| q.starts_with(prefix)).collect();
    if !ours.is_empty() {
        ::redis::cmd("ZREM").arg(APALIS_QUEUE_INDEX).arg(ours).query_async::<()>(&mut conn).await?;
    }
    Ok(removed)
}
