//! Runs outbox jobs in this process, without a queue: the test harness (crates.io's
//! `run_pending_background_jobs`) and a way to see the whole chain of jobs deterministically.
//! Production moves outbox rows into the queue instead (the relay) and the queue calls the same
//! [`JobHandler`].

use crate::queue::{JobFailure, JobHandler};
use shipping_store::Store;
use shipping_store::jobs::Job;
use std::time::Duration;

/// What a drain did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Drained {
    pub succeeded: usize,
    /// (kind, reason) of jobs that will not be tried again.
    pub dead: Vec<(String, String)>,
    /// Jobs still waiting for a retry when the drain stopped.
    pub retrying: usize,
}

/// Runs every job in the outbox, and the jobs they enqueue, until none is left or `max_rounds`
/// passes. A job asking for a retry is tried again in the next round, up to `max_attempts`.
pub async fn drain(
    store: &Store,
    handler: &dyn JobHandler,
    max_attempts: u32,
    max_rounds: usize,
) -> Result<Drained, shipping_store::StoreError> {
    let mut out = Drained::default();
    for _ in 0..max_rounds {
        let batch = store.claim_outbox(100, Duration::from_secs(60)).await?;
        if batch.is_empty() {
            out.retrying = 0;
            return Ok(out);
        }
        out.retrying = 0;
        for message in batch {
            let attempt = u32::try_from(message.attempts).unwrap_or(1).max(1);
            let job = match Job::from_payload(&message.payload) {
                Ok(j) => j,
                Err(e) => {
                    out.dead.push((message.kind.clone(), e.to_string()));
                    store.mark_dispatched(&[message.id]).await?;
                    continue;
                }
            };
            match handler.handle(job.clone(), attempt).await {
                Ok(()) => {
                    out.succeeded += 1;
                    store.mark_dispatched(&[message.id]).await?;
                }
                Err(JobFailure::Retry { reason, .. }) if attempt < max_attempts => {
                    tracing::debug!(kind = job.kind(), attempt, reason = %reason, "retrying");
                    out.retrying += 1;
                    store.release_outbox(&[message.id], Duration::ZERO).await?;
                }
                Err(f) => {
                    out.dead.push((job.kind().to_owned(), f.reason().to_owned()));
                    handler.dead(job, attempt, f.to_string()).await;
                    store.mark_dispatched(&[message.id]).await?;
                }
            }
        }
    }
    Ok(out)
}
