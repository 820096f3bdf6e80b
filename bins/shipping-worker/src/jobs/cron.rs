//! The periodic tasks: each one's schedule ([`schedule`]) beside what it does ([`run`]), all
//! registered in one place ([`register`]). The queue's cron (`queue/cron.rs`) pushes one
//! `Job::Cron` per tick, once per fleet; each task only plans (enqueues the real work through
//! the outbox) or cleans, so a tick that runs twice is harmless.

use crate::context::Context;
use crate::failure::StoreResultExt;
use crate::queue::{CronSchedule, JobFailure, Queues};
use crate::settings::WorkerConfig;
use shipping_store::jobs::{CronTask, CronV1, Job};
use std::time::Duration;

/// How many shipments one refresh tick plans at most (the rest wait for the next tick).
const REFRESH_LIMIT: u64 = 5_000;

/// Every cron, in the order they are registered.
pub const TASKS: [CronTask; 4] =
    [CronTask::RefreshTracking, CronTask::RetryFailedSyncs, CronTask::Cleanup, CronTask::Reconcile];

/// A task's name (its ticks' idempotency keys are `cron:{name}:{tick}`) and its period in
/// seconds, a setting of `config/worker.toml`.
pub fn schedule(task: CronTask, config: &WorkerConfig) -> (&'static str, u64) {
    let w = &config.worker;
    match task {
        // `worker.tracking_refresh_secs`, default 2 h: shipments without a recent webhook.
        CronTask::RefreshTracking => ("refresh_tracking", w.tracking_refresh_secs),
        // `worker.retry_failed_syncs_secs`, default 30 min.
        CronTask::RetryFailedSyncs => ("retry_failed_syncs", w.retry_failed_syncs_secs),
        // `worker.cleanup_secs`, default 1 h.
        CronTask::Cleanup => ("cleanup", w.cleanup_secs),
        // `reconciler.every_secs`, default 5 min (ADR 0008).
        CronTask::Reconcile => ("reconcile", config.reconciler.every_secs),
    }
}

/// Schedules every task in [`TASKS`] on `queues` (they run while [`Queues::run`] runs).
pub fn register(queues: &Queues, config: &WorkerConfig) -> anyhow::Result<()> {
    for task in TASKS {
        let (name, every_secs) = schedule(task, config);
        queues.schedule_cron(name, CronSchedule::every(Duration::from_secs(every_secs))?, move || {
            Job::Cron(CronV1 { task })
        })?;
    }
    Ok(())
}

pub async fn run(ctx: &Context, task: CronTask) -> Result<(), JobFailure> {
    match task {
        CronTask::RefreshTracking => {
            let n = super::tracking::plan_refresh(ctx, REFRESH_LIMIT).await?;
            tracing::info!(shipments = n, "tracking refresh planned");
            let r = super::returns::plan_refresh(ctx, REFRESH_LIMIT).await?;
            tracing::info!(returns = r, "return tracking refresh planned");
        }
        CronTask::RetryFailedSyncs => {
            let n = super::sync_order::retry_failed(ctx, 500).await?;
            tracing::info!(shipments = n, "failed syncs re-enqueued");
        }
        CronTask::Cleanup => {
            let before = chrono::Utc::now() - chrono::Duration::days(i64::from(ctx.settings.cleanup_after_days));
            let cleaned = ctx.store.cleanup(before).await.job()?;
            // Finished queue records: apalis keeps each one forever otherwise.
            let queue_records = match &ctx.queues {
                Some(q) => q
                    .vacuum(ctx.settings.queue_keep_finished)
                    .await
                    .map_err(|e| JobFailure::retry(format!("vacuuming the queue: {e:#}")))?,
                None => 0,
            };
            tracing::info!(?cleaned, queue_records, "cleanup done");
        }
        CronTask::Reconcile => {
            let done = super::reconcile::run(ctx).await?;
            tracing::info!(repromised = done.repromised, flagged = done.flagged, "reconciled");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_task_has_its_own_name_and_the_documented_default_period() {
        let config = WorkerConfig::default();
        let schedules: Vec<_> = TASKS.iter().map(|t| schedule(*t, &config)).collect();
        assert_eq!(
            schedules,
            [("refresh_tracking", 7200), ("retry_failed_syncs", 1800), ("cleanup", 3600), ("reconcile", 300)]
        );
    }
}
