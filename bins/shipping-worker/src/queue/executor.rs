//! Runs one task: decode the [`Envelope`], call the handler (bounded by the job timeout, panics
//! caught), then carry out the retry policy's [`Decision`] (`retry.rs`): acknowledge, push the
//! next attempt, or dead-letter.

use super::producer::Envelope;
use super::queues::Queues;
use super::retry::{Decision, RetryPolicy};
use super::{JobFailure, JobHandler};
use apalis::prelude::{AbortError, BoxDynError};
use futures::FutureExt;
use futures::future::BoxFuture;
use serde_json::Value;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

pub(super) struct Executor {
    queues: Queues,
    handler: Arc<dyn JobHandler>,
    policy: RetryPolicy,
    job_timeout: Duration,
}

/// The task function apalis calls: every task goes through the [`Executor`].
pub(super) fn service(exec: Arc<Executor>) -> impl FnMut(Value) -> BoxFuture<'static, Result<(), BoxDynError>> + Clone {
    move |args: Value| {
        let exec = exec.clone();
        Box::pin(async move { exec.execute(args).await })
    }
}

impl Executor {
    /// With the retry policy and job timeout of `queues`' configuration.
    pub fn new(queues: Queues, handler: Arc<dyn JobHandler>) -> Executor {
        let cfg = queues.config();
        let (policy, job_timeout) = (RetryPolicy::from_config(cfg), cfg.job_timeout());
        Executor { queues, handler, policy, job_timeout }
    }

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
