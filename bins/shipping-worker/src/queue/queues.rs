//! [`Queues`], the handle on the three queues (one per [`Priority`], on the backend of
//! `backend.rs`). Its methods are grouped by role: pushing in `producer.rs`, depth in
//! `depth.rs`, crons in `cron.rs`, running the workers in `supervisor.rs`.

use super::backend::Backend;
use super::config::QueueConfig;
use super::cron::CronEntry;
use anyhow::Result;
use apalis_sqlite::SqlitePool;
use shipping_store::jobs::Priority;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The three queues, in the order their workers are started.
pub const PRIORITIES: [Priority; 3] = [Priority::High, Priority::Medium, Priority::Low];

/// A priority's place in [`PRIORITIES`] (and in the backend's storage arrays).
pub(super) fn index(priority: Priority) -> usize {
    match priority {
        Priority::High => 0,
        Priority::Medium => 1,
        Priority::Low => 2,
    }
}

pub fn priority_name(priority: Priority) -> &'static str {
    match priority {
        Priority::High => "high",
        Priority::Medium => "medium",
        Priority::Low => "low",
    }
}

#[derive(Debug)]
pub(super) struct Inner {
    pub cfg: QueueConfig,
    pub backend: Backend,
    pub crons: Mutex<Vec<CronEntry>>,
}

/// Handle on the queues; cheap to clone (job handlers keep one to push follow-up jobs).
#[derive(Debug, Clone)]
pub struct Queues {
    pub(super) inner: Arc<Inner>,
}

impl Queues {
    /// Connects to the configured backend (creating the SQLite file and tables when needed).
    pub async fn connect(cfg: &QueueConfig) -> Result<Queues> {
        cfg.validate()?;
        Ok(Queues::on(cfg, Backend::connect(cfg).await?))
    }

    /// The embedded queue in an existing pool, e.g. the store's (`get_sqlite_connection_pool()`),
    /// so zero-setup mode has one file. Creates apalis' tables; the `backend` setting is ignored.
    pub async fn with_sqlite_pool(cfg: &QueueConfig, pool: SqlitePool) -> Result<Queues> {
        cfg.validate()?;
        Ok(Queues::on(cfg, Backend::sqlite(cfg, pool).await?))
    }

    fn on(cfg: &QueueConfig, backend: Backend) -> Queues {
        Queues { inner: Arc::new(Inner { cfg: cfg.clone(), backend, crons: Mutex::new(Vec::new()) }) }
    }

    pub fn config(&self) -> &QueueConfig {
        &self.inner.cfg
    }

    /// The apalis queue name of a priority (the prefix of all its Redis keys).
    pub fn queue_name(&self, priority: Priority) -> String {
        self.inner.backend.queue_name(priority)
    }

    /// Deletes finished jobs (done, or dead-lettered: the handler's `dead` has recorded those)
    /// that finished more than `older_than` ago; returns how many. apalis keeps every task's
    /// payload and metadata forever otherwise. For the cleanup cron.
    pub async fn vacuum(&self, older_than: Duration) -> Result<u64> {
        let cutoff = unix_now().saturating_sub(i64::try_from(older_than.as_secs()).unwrap_or(i64::MAX));
        let mut deleted = 0;
        for priority in PRIORITIES {
            deleted += self.inner.backend.vacuum(priority, cutoff).await?;
        }
        Ok(deleted)
    }
}

pub(super) fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
