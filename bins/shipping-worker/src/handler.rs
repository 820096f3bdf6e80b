//! The [`JobHandler`] the queue calls: dispatch, and dead letters into the store.

use crate::context::Context;
use crate::queue::{JobFailure, JobHandler};
use futures::future::BoxFuture;
use shipping_store::jobs::Job;

/// Runs jobs with a [`Context`].
#[derive(Debug, Clone)]
pub struct Handler {
    pub ctx: Context,
}

impl JobHandler for Handler {
    fn handle(&self, job: Job, attempt: u32) -> BoxFuture<'_, Result<(), JobFailure>> {
        Box::pin(async move {
            crate::metrics::observe(&job, Box::pin(crate::jobs::dispatch(&self.ctx, &job, attempt))).await
        })
    }

    fn dead(&self, job: Job, attempts: u32, error: String) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            tracing::error!(kind = job.kind(), attempts, error = %error, "job dead-lettered");
            crate::metrics::record_dead(&job);
            if let Err(e) = self.ctx.store.record_dead_job_with_attention(&job, attempts, &error).await {
                tracing::error!(error = %e, "could not record a dead job");
            }
        })
    }
}
