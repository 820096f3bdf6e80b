//! The outbox relay: moves promised jobs from the outbox into the queue. Rows are leased, so a
//! relay that dies mid-batch loses nothing (another claims them when the lease ends), and
//! several relays never hand out the same row (`SKIP LOCKED` on Postgres). A job can reach the
//! queue twice (pushed, then the relay dies before marking it): handlers are idempotent.

use futures::future::BoxFuture;
use shipping_store::Store;
use shipping_store::jobs::{Job, TracedJob};
use std::time::Duration;

/// Where the relay hands jobs.
pub trait JobSink: Send + Sync {
    fn push_all<'a>(&'a self, jobs: &'a [Job]) -> BoxFuture<'a, Result<(), String>>;

    /// The jobs with the trace context they were promised in. By default the context is
    /// dropped (sinks that cannot carry it).
    fn push_traced<'a>(&'a self, jobs: &'a [TracedJob]) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let plain: Vec<Job> = jobs.iter().map(|t| t.job.clone()).collect();
            self.push_all(&plain).await
        })
    }
}

/// One pass: claim up to `batch` rows, push them, mark them dispatched. Returns how many were
/// pushed. When the queue refuses, the rows go back to the outbox to be tried in `backoff`.
pub async fn relay_once(
    store: &Store,
    sink: &dyn JobSink,
    batch: u64,
    backoff: Duration,
) -> Result<usize, shipping_store::StoreError> {
    let claimed = store.claim_outbox(batch, Duration::from_secs(60)).await?;
    if claimed.is_empty() {
        return Ok(0);
    }
    let mut jobs = Vec::with_capacity(claimed.len());
    let mut ids = Vec::with_capacity(claimed.len());
    for row in claimed {
        match TracedJob::from_payload(&row.payload) {
            Ok(job) => {
                jobs.push(job);
                ids.push(row.id);
            }
            Err(e) => {
                tracing::error!(outbox_id = row.id, kind = %row.kind, error = %e, "outbox row does not decode; dead-lettered");
                store
                    .record_dead_payload(
                        &row.kind,
                        &row.payload,
                        u32::try_from(row.attempts).unwrap_or(0),
                        &e.to_string(),
                    )
                    .await?;
                store.mark_dispatched(&[row.id]).await?;
            }
        }
    }
    match sink.push_traced(&jobs).await {
        Ok(()) => {
            store.mark_dispatched(&ids).await?;
            Ok(jobs.len())
        }
        Err(e) => {
            tracing::warn!(error = %e, rows = ids.len(), "queue unavailable; outbox rows kept for later");
            store.release_outbox(&ids, backoff).await?;
            Ok(0)
        }
    }
}

/// Relays every `every` until `shutdown` resolves.
pub async fn run(store: Store, sink: &dyn JobSink, every: Duration, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    loop {
        match relay_once(&store, sink, 500, Duration::from_secs(5)).await {
            // A full batch: there may be more right away.
            Ok(500..) => continue,
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "outbox relay pass failed"),
        }
        tokio::select! {
            () = &mut shutdown => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}
