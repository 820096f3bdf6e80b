//! How many jobs wait in each queue: the `queue_depth` gauges and `/readyz`.

use super::queues::{PRIORITIES, Queues};
use anyhow::Result;
use shipping_store::jobs::Priority;

/// Jobs waiting in one queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueDepth {
    pub priority: Priority,
    /// Due now, waiting for a worker.
    pub ready: u64,
    /// Waiting for their time: retries with a backoff, `push_after`.
    pub scheduled: u64,
}

impl QueueDepth {
    pub fn total(&self) -> u64 {
        self.ready + self.scheduled
    }
}

impl Queues {
    /// Jobs waiting per queue, for metrics and `/readyz`.
    pub async fn depth(&self) -> Result<[QueueDepth; 3]> {
        let mut depths = PRIORITIES.map(|priority| QueueDepth { priority, ready: 0, scheduled: 0 });
        for depth in &mut depths {
            (depth.ready, depth.scheduled) = self.inner.backend.depth(depth.priority).await?;
        }
        Ok(depths)
    }
}
