//! The queue layer: where jobs wait between the outbox relay and the job handlers.
//!
//! Contract (the rest of the worker depends only on this): [`JobHandler`] runs one job and says
//! how it failed; [`JobFailure`] is the retry decision by error class. The apalis-backed
//! implementation (Redis in production, SQLite embedded in zero-setup mode), by role:
//!
//! - `queues.rs` — [`Queues`], the handle: one apalis queue per priority; `config.rs` —
//!   [`QueueConfig`] (`[queue]`, with the attempt caps per class).
//! - `producer.rs` — pushing jobs (`push`, `push_after`, `push_unique`, `push_all`) and the
//!   envelope that carries the attempt number.
//! - `retry.rs` — the retry contract: `Ok` / `Retry` / `Permanent`, caps per [`RetryClass`],
//!   backoff (backon); `executor.rs` runs one task and carries the decision out (retry push,
//!   dead letter).
//! - `cron.rs` — [`CronSchedule`] and once-per-fleet ticks (the crons themselves:
//!   `jobs/cron.rs`).
//! - `supervisor.rs` — [`Queues::run`]: workers per queue, restarts, graceful shutdown.
//! - `depth.rs` — [`QueueDepth`] for the gauges and `/readyz`.
//! - `backend.rs` — the seam: every operation that differs between the backends, one `match`
//!   each; `redis.rs`, `redis_repair.rs` (scripts that make up for apalis-redis) and `sqlite.rs`
//!   behind it.

mod backend;
mod config;
mod cron;
mod depth;
mod executor;
mod producer;
mod queues;
mod redis;
mod redis_repair;
mod retry;
mod sqlite;
mod supervisor;

pub use config::{AttemptsByClass, Concurrency, QueueBackend, QueueConfig};
pub use cron::CronSchedule;
pub use depth::QueueDepth;
pub use queues::{PRIORITIES, Queues, priority_name};
pub use redis::{connection as redis_connection, ready_list as redis_ready_list, remove_namespace};
pub use supervisor::termination_signal;

use shipping_store::jobs::Job;
use std::time::Duration;

/// Why a job asks for another try; each class has its own attempt cap
/// ([`QueueConfig::attempts_by_class`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryClass {
    /// Shiprocket said 429 (the client already waited as told, up to its own limit).
    RateLimited,
    /// 5xx and Shiprocket's own "try again" answers (the client already retried 3 times).
    Server,
    /// No answer: refused, reset, timed out (the client already retried once at once).
    Network,
    /// Anything else worth another try: a database hiccup, a step waiting for an earlier one,
    /// a refused login, a panic or a job timeout.
    Other,
}

/// How a job failed, which decides what happens next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobFailure {
    /// Try again: after `after` when given (a `Retry-After`), else by the queue's backoff; at
    /// most as many attempts as the class allows.
    Retry { after: Option<Duration>, reason: String, class: RetryClass },
    /// Retrying cannot help (validation, not found, a bug in our payload): stop now, record it.
    Permanent { reason: String },
}

impl JobFailure {
    /// A retry of class [`RetryClass::Other`] with the queue's backoff.
    pub fn retry(reason: impl Into<String>) -> JobFailure {
        JobFailure::Retry { after: None, reason: reason.into(), class: RetryClass::Other }
    }

    pub fn reason(&self) -> &str {
        match self {
            JobFailure::Retry { reason, .. } | JobFailure::Permanent { reason } => reason,
        }
    }
}

impl std::fmt::Display for JobFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JobFailure::Retry { after: Some(d), reason, .. } => write!(f, "retry after {d:?}: {reason}"),
            JobFailure::Retry { after: None, reason, .. } => write!(f, "retry: {reason}"),
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
