//! Scripts that make up for apalis-redis 1.0's own behaviour: promoting due tasks in bounded
//! batches, releasing a stopped worker's in-flight tasks, and deleting finished tasks.

use super::queues::unix_now;
use anyhow::{Context, Result};
use apalis_redis::ConnectionManager;
use futures::future::BoxFuture;

/// apalis-redis 1.0 pushes every task into the scheduled set, and its fetch moves *all* due
/// ones to the active list with one Lua `unpack`, which fails beyond about 8,000 ids: the
/// worker then dies on every fetch. So we move due tasks ourselves, [`PROMOTE_BATCH`] at a
/// time, after bulk pushes and on every poll tick.
pub(super) async fn promote_due(conn: &ConnectionManager, config: &apalis_redis::Config) -> Result<u64> {
    let script = ::redis::Script::new(PROMOTE_LUA);
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
}

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

/// Moves every task in the worker's in-flight set back to the active list, and forgets the
/// worker. apalis only recovers a worker's in-flight tasks through its heartbeat entry, which a
/// clean close removes, so nobody else would.
pub(super) async fn release(conn: &ConnectionManager, config: &apalis_redis::Config, worker: &str) -> Result<()> {
    ::redis::Script::new(RELEASE_LUA)
        .key(format!("{}:{worker}", config.inflight_jobs_set()))
        .key(config.active_jobs_list())
        .key(config.job_meta_hash())
        .key(config.workers_set())
        .arg(worker)
        .invoke_async::<u64>(&mut conn.clone())
        .await
        .context("releasing in-flight Redis jobs")?;
    Ok(())
}

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

/// Deletes the done and dead tasks of one queue that finished at or before `cutoff`: apalis
/// keeps each task's payload and metadata forever otherwise (a hash field and a key per task),
/// and its own vacuum scans every task ever stored.
pub(super) async fn vacuum(conn: &ConnectionManager, config: &apalis_redis::Config, cutoff: i64) -> Result<u64> {
    let mut removed = 0;
    for set in [config.done_jobs_set(), config.dead_jobs_set()] {
        removed += vacuum_set(&mut conn.clone(), config, &set, cutoff).await?;
    }
    Ok(removed)
}

/// One set (done or dead) of [`vacuum`]. Boxed, so callers inside job handlers stay `Send`.
fn vacuum_set<'a>(
    conn: &'a mut ConnectionManager,
    config: &'a apalis_redis::Config,
    set: &'a str,
    cutoff: i64,
) -> BoxFuture<'a, Result<u64>> {
    Box::pin(async move {
        let script = ::redis::Script::new(VACUUM_LUA);
        let mut cursor: u64 = 0;
        let mut removed = 0;
        loop {
            let (next, ids): (u64, Vec<String>) = ::redis::cmd("SSCAN")
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
