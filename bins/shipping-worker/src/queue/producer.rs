//! Pushing jobs: what travels through apalis (the [`Envelope`]) and every way to queue one.
//! The relay, the crons and job handlers (follow-ups, retries) all push through here.

use super::queues::{PRIORITIES, Queues, priority_name};
use anyhow::{Context, Result, anyhow};
use apalis::prelude::{Task, TaskBuilder};
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use shipping_store::jobs::{Job, TracedJob};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Bulk pushes go to Redis in chunks of this many (one Lua call each).
const PUSH_CHUNK: usize = 500;

/// What travels through apalis: the job and which attempt this run is. The attempt lives in the
/// payload because we, not apalis, count attempts (see `retry.rs`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Envelope {
    pub job: Job,
    pub attempt: u32,
    /// The W3C trace context the job was promised in (absent in older envelopes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
}

impl Envelope {
    /// Also accepts a bare [`Job`], so a job pushed by another tool starts at attempt 1.
    pub fn decode(value: Value) -> Result<Envelope, serde_json::Error> {
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

impl Queues {
    /// Queues a job on its priority's queue, to run now.
    pub async fn push(&self, job: &Job) -> Result<()> {
        self.push_envelope(Envelope::first(job), Duration::ZERO, None).await
    }

    /// Queues a job to run after `delay` (rounded up to a whole second: the backends store `run_at`
    /// in seconds, and rounding up keeps "not before").
    pub async fn push_after(&self, job: &Job, delay: Duration) -> Result<()> {
        self.push_envelope(Envelope::first(job), delay, None).await
    }

    /// Queues a job unless a job with the same key was queued on its queue before (Redis: within
    /// `idempotency_ttl_secs`; SQLite: while the row exists).
    pub async fn push_unique(&self, job: &Job, key: &str) -> Result<()> {
        self.push_envelope(Envelope::first(job), Duration::ZERO, Some(key)).await
    }

    /// Queues many jobs: one Redis call per priority and chunk of 500, one SQLite transaction each.
    pub async fn push_all(&self, jobs: &[Job]) -> Result<()> {
        let traced: Vec<TracedJob> = jobs.iter().map(|job| TracedJob { job: job.clone(), traceparent: None }).collect();
        self.push_all_traced(&traced).await
    }

    /// [`Queues::push_all`] keeping each job's trace context (the outbox relay).
    pub async fn push_all_traced(&self, jobs: &[TracedJob]) -> Result<()> {
        let backend = &self.inner.backend;
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
                backend.push_batch(priority, chunk.to_vec()).await.map_err(|e| {
                    anyhow!("pushing {} jobs to the {} queue: {e}", chunk.len(), priority_name(priority))
                })?;
                // A backlog larger than apalis-redis can promote at once must not reach its fetch.
                backend.promote_due(priority).await?;
            }
        }
        Ok(())
    }

    /// Pushes `envelope` to run after `delay`, once per `key` when given. Boxed with an explicit
    /// `Send`: the executor awaits it inside apalis' generic worker future.
    pub(super) fn push_envelope<'a>(
        &'a self,
        envelope: Envelope,
        delay: Duration,
        key: Option<&'a str>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let priority = envelope.job.priority();
            let task = task_for(&envelope, run_at_after(delay), key)?;
            self.inner.backend.push_one(priority, task).await.map_err(|e| {
                anyhow!("pushing a {} job to the {} queue: {e}", envelope.job.kind(), priority_name(priority))
            })
        })
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
