//! The periodic tasks. The queue's cron pushes one `Job::Cron` per tick, once per fleet; each
//! task only plans (enqueues the real work through the outbox) or cleans, so a tick that runs
//! twice is harmless.

use crate::context::Context;
use crate::failure::StoreResultExt;
use crate::queue::JobFailure;
use shipping_store::jobs::CronTask;

/// How many shipments one refresh tick plans at most (the rest wait for the next tick).
const REFRESH_LIMIT: u64 = 5_000;

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
