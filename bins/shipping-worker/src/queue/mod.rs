//! The queue layer: where jobs wait between the outbox relay and the job handlers.
//!
//! Contract (the rest of the worker depends only on this): [`JobHandler`] runs one job and says
//! how it failed; [`JobFailure`] is the retry decision by error class. The apalis-backed
//! implementation (Redis in production, SQLite embedded in zero-setup mode) lives beside this
//! file: [`Queues`] (one apalis queue per priority on Redis or SQLite, our retry policy around the
//! handler, once-per-fleet cron, graceful shutdown), configured by [`QueueConfig`].

mod config;
mod cron;
mod policy;
mod queues;

pub use config::{Concurrency, QueueBackend, QueueConfig};
pub use cron::CronSchedule;
pub use queues::{PRIORITIES, QueueDepth, Queues, priority_name, redis_ready_list, termination_signal};

use shipping_store::jobs::Job;
use std::time::Duration;

/// How a job failed, which decides what happens next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobFailure {
    /// Try again: after `after` when given (a `Retry-After`), else by the queue's backoff.
    Retry { after: Option<Duration>, reason: String },
    /// Retrying cannot help (validation, not found, a bug in our payload): stop now, record it.
    Permanent { reason: String },
}

impl JobFailure {
    pub fn reason(&self) -> &str {
        match self {
            JobFailure::Retry { reason, .. } | JobFailure::Permanent { reason } => reason,
        }
    }
}

impl std::fmt::Display for JobFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JobFailure::Retry { after: Some(d), reason } => write!(f, "retry after {d:?}: {reason}"),
            JobFailure::Retry { after: None, reason } => write!(f, "retry: {reason}"),
            JobFailure::Permanent { reason } => write!(f, "permanent: {reason}"),
        }
    }
}

impl std::error::Error for JobFailure {}

/// Runs jobs. `attempt` starts at 1. `dead` is told about a job that will not be tried again
/// (permanent failure or attempts exhausted) so it can be recorded where operators see it.
pub trait JobHandler: Send + Sync + 'static {
    fn handle(&self, job: Job, attempt: u32) -> futures::future::BoxFuture<'_, Result<(), JobFailure>>;
    fn dead(&self, job: Job, attempts: u32, error: String) -> futures::future::BoxFuture<'_, ()>;
}
