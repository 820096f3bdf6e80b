//! Queue settings. Every field has a default, so `[queue]` can be left out in zero-setup mode.

use anyhow::{Result, ensure};
use serde::{Deserialize, Serialize};
use shipping_store::jobs::Priority;
use std::time::Duration;

/// Where the queues live.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum QueueBackend {
    /// Production: apalis-redis. Each priority is one apalis queue named `{namespace_prefix}high`,
    /// `…medium`, `…low`; every Redis key of the queue starts with that name.
    Redis {
        /// e.g. `redis://127.0.0.1:6379`.
        url: String,
        /// Default `shipping:`. Distinct prefixes keep environments (and tests) apart on one Redis.
        #[serde(default = "default_namespace_prefix")]
        namespace_prefix: String,
    },
    /// Zero-setup mode: apalis-sqlite in a file (single process). To share the store's file, build
    /// the queues with [`super::Queues::with_sqlite_pool`] instead.
    Sqlite {
        /// Default `sqlite://data/queue.db` (created when missing).
        #[serde(default = "default_sqlite_url")]
        url: String,
    },
}

impl Default for QueueBackend {
    fn default() -> Self {
        QueueBackend::Sqlite { url: default_sqlite_url() }
    }
}

fn default_namespace_prefix() -> String {
    "shipping:".to_owned()
}

fn default_sqlite_url() -> String {
    "sqlite://data/queue.db".to_owned()
}

/// Jobs run at the same time, per priority queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Concurrency {
    /// Default 8 (sync, webhooks).
    pub high: usize,
    /// Default 4 (tracking, labels, pickups).
    pub medium: usize,
    /// Default 2 (refreshes, cleanup).
    pub low: usize,
}

impl Default for Concurrency {
    fn default() -> Self {
        Concurrency { high: 8, medium: 4, low: 2 }
    }
}

impl Concurrency {
    pub fn of(&self, priority: Priority) -> usize {
        match priority {
            Priority::High => self.high,
            Priority::Medium => self.medium,
            Priority::Low => self.low,
        }
    }
}

/// Attempt caps per [`super::RetryClass`] (the first attempt included). The client has
/// already retried inside each attempt (429: waited as told; 5xx: 3 jittered retries; network:
/// one at once), so these count whole job attempts, rescheduled with the queue's backoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AttemptsByClass {
    /// Default 12: rate limits pass; waiting as told costs nothing.
    pub rate_limited: u32,
    /// Default 4 (3 retries, exponential).
    pub server: u32,
    /// Default 6: one quick retry inside the call, then rescheduled until the network is back.
    pub network: u32,
}

impl Default for AttemptsByClass {
    fn default() -> Self {
        AttemptsByClass { rate_limited: 12, server: 4, network: 6 }
    }
}

/// The queue layer's settings (`[queue]`, `SHIPPING__QUEUE__…`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QueueConfig {
    /// Default: SQLite at `sqlite://data/queue.db`.
    pub backend: QueueBackend,
    /// Default high 8, medium 4, low 2.
    pub concurrency: Concurrency,
    /// How often an idle worker looks for new jobs. Default 200 ms. apalis 1.0 otherwise only
    /// looks at its heartbeat (30 s by default), so a job pushed by another process would wait.
    pub poll_interval_ms: u64,
    /// Worker heartbeat (also renews the leases of running jobs). Default 5 s.
    pub heartbeat_interval_secs: u64,
    /// Missed heartbeats before another worker takes over a dead worker's jobs. Default 3, so
    /// jobs of a SIGKILLed worker run again after about 15 s (apalis' own default is 5 min).
    pub missed_heartbeats: usize,
    /// Calls of the handler per job, the first included, before it is dead-lettered, for
    /// failures of no Shiprocket class (database, a step waiting for an earlier one, timeouts).
    /// Default 6.
    pub max_attempts: u32,
    /// Caps for Shiprocket failures by class (`[queue.attempts_by_class]`).
    pub attempts_by_class: AttemptsByClass,
    /// Backoff before attempt n+1 when the handler gives no `after`: `base × 2^(n-1)`, capped by
    /// `max_backoff_secs`. Default 2000 ms (2, 4, 8, 16, 32 s). Delays are rounded up to whole
    /// seconds by the backends.
    pub base_backoff_ms: u64,
    /// Default 600 s.
    pub max_backoff_secs: u64,
    /// A job still running after this is abandoned and retried like `Retry`. Default 300 s.
    pub job_timeout_secs: u64,
    /// After the shutdown signal, how long in-flight jobs may take to finish before they are
    /// released back to the queue. Default 25 s (under Kubernetes' 30 s grace period).
    pub shutdown_timeout_secs: u64,
    /// How long a cron tick's idempotency key is kept (Redis); it only has to outlast the clock
    /// skew between replicas. Default 3600 s. Must not be 0: apalis-redis would expire it at once.
    pub idempotency_ttl_secs: u64,
    /// Jobs a worker takes per fetch. Default: the queue's concurrency, so a replica does not
    /// hold jobs that another, idle replica could run.
    pub batch_size: Option<usize>,
    /// This replica's part of worker names (`{name}-{pid}-{start}-{run}-{priority}-{restart}`).
    /// Default: `POD_NAME`, `HOSTNAME` or `/etc/hostname`.
    pub worker_name: Option<String>,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            backend: QueueBackend::default(),
            concurrency: Concurrency::default(),
            poll_interval_ms: 200,
            heartbeat_interval_secs: 5,
            missed_heartbeats: 3,
            max_attempts: 6,
            attempts_by_class: AttemptsByClass::default(),
            base_backoff_ms: 2000,
            max_backoff_secs: 600,
            job_timeout_secs: 300,
            shutdown_timeout_secs: 25,
            idempotency_ttl_secs: 3600,
            batch_size: None,
            worker_name: None,
        }
    }
}

impl QueueConfig {
    pub fn validate(&self) -> Result<()> {
        let c = &self.concurrency;
        ensure!(c.high > 0 && c.medium > 0 && c.low > 0, "queue concurrency must be at least 1 per queue");
        ensure!(self.poll_interval_ms > 0, "queue poll_interval_ms must be positive");
        ensure!(self.heartbeat_interval_secs > 0, "queue heartbeat_interval_secs must be positive");
        ensure!(self.missed_heartbeats > 0, "queue missed_heartbeats must be at least 1");
        ensure!(self.max_attempts > 0, "queue max_attempts must be at least 1");
        let by_class = &self.attempts_by_class;
        ensure!(
            by_class.rate_limited > 0 && by_class.server > 0 && by_class.network > 0,
            "queue attempts_by_class must be at least 1 per class"
        );
        ensure!(self.job_timeout_secs > 0, "queue job_timeout_secs must be positive");
        ensure!(self.idempotency_ttl_secs > 0, "queue idempotency_ttl_secs must be positive");
        ensure!(self.batch_size != Some(0), "queue batch_size must be at least 1");
        if let QueueBackend::Redis { namespace_prefix, .. } = &self.backend {
            ensure!(!namespace_prefix.is_empty(), "queue namespace_prefix must not be empty");
        }
        Ok(())
    }

    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms)
    }

    pub fn heartbeat_interval(&self) -> Duration {
        Duration::from_secs(self.heartbeat_interval_secs)
    }

    pub fn base_backoff(&self) -> Duration {
        Duration::from_millis(self.base_backoff_ms)
    }

    pub fn max_backoff(&self) -> Duration {
        Duration::from_secs(self.max_backoff_secs)
    }

    pub fn job_timeout(&self) -> Duration {
        Duration::from_secs(self.job_timeout_secs)
    }

    pub fn shutdown_timeout(&self) -> Duration {
        Duration::from_secs(self.shutdown_timeout_secs)
    }

    pub fn idempotency_ttl(&self) -> Duration {
        Duration::from_secs(self.idempotency_ttl_secs)
    }

    pub fn batch_size_for(&self, priority: Priority) -> usize {
        self.batch_size.unwrap_or_else(|| self.concurrency.of(priority)).max(1)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn an_empty_section_gives_the_documented_defaults() {
        let cfg: QueueConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(cfg, QueueConfig::default());
        assert_eq!(cfg.concurrency, Concurrency { high: 8, medium: 4, low: 2 });
        assert_eq!(cfg.poll_interval(), Duration::from_millis(200));
        assert_eq!((cfg.heartbeat_interval(), cfg.missed_heartbeats), (Duration::from_secs(5), 3));
        assert_eq!(cfg.max_attempts, 6);
        assert!(matches!(cfg.backend, QueueBackend::Sqlite { .. }));
        cfg.validate().unwrap();
    }

    #[test]
    fn redis_backend_parses_with_a_default_prefix_and_typos_are_rejected() {
        let cfg: QueueConfig =
            serde_json::from_str(r#"{"backend": {"kind": "redis", "url": "redis://h:6379"}}"#).unwrap();
        assert_eq!(
            cfg.backend,
            QueueBackend::Redis { url: "redis://h:6379".into(), namespace_prefix: "shipping:".into() }
        );
        assert!(serde_json::from_str::<QueueConfig>(r#"{"max_attempt": 3}"#).is_err());
        let zero = QueueConfig { max_attempts: 0, ..QueueConfig::default() };
        assert!(zero.validate().is_err());
    }
}
