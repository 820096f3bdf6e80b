//! What the worker tells Prometheus and the tracer: jobs by queue and outcome, syncs by outcome
//! and error class, dead letters, and gauges refreshed periodically (queue depth, dead jobs,
//! outbox backlog, tracking freshness); the `/metrics` + `/healthz` listener; the span every
//! job runs in (a child of the span that promised it, through the payload's `traceparent`).
//!
//! Shiprocket calls, retries, 429s and token refreshes are counted inside `shiprocket-client`.

use crate::queue::{JobFailure, Queues, priority_name};
use anyhow::{Context as _, Result};
use shipping_store::Store;
use shipping_store::jobs::Job;
use std::cell::Cell;
use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

tokio::task_local! {
    /// The class of the last Shiprocket or store error met by the job running in this task.
    static ERROR_CLASS: Cell<Option<&'static str>>;
}

/// Remembers why the running job failed (called where failures are classified). Outside a job
/// (no scope) it does nothing.
pub fn note_error_class(class: &'static str) {
    let _ = ERROR_CLASS.try_with(|c| c.set(Some(class)));
}

/// The ids a job is about, for its span (and so for every log line inside it).
fn ids(job: &Job) -> (Option<i64>, Option<i64>) {
    match job {
        Job::SyncOrder(j) => (Some(j.order_id), Some(j.shipment_id)),
        Job::UpdateOrder(j) => (Some(j.order_id), Some(j.shipment_id)),
        Job::AssignAwb(j) | Job::GenerateLabel(j) | Job::SchedulePickup(j) | Job::CancelShipment(j) => {
            (None, Some(j.shipment_id))
        }
        _ => (None, None),
    }
}

/// The queue consumer's span around a job (the handler's own `job` span is inside it): kind,
/// queue, attempt and ids, continuing the trace named by `traceparent` (the span that
/// promised the job, e.g. the order-paid request).
pub fn job_span(job: &Job, attempt: u32, traceparent: Option<&str>) -> tracing::Span {
    let (order_id, shipment_id) = ids(job);
    let span = tracing::info_span!(
        "queue.process",
        kind = job.kind(),
        queue = priority_name(job.priority()),
        attempt,
        order_id = order_id.map(tracing::field::display),
        shipment_id = shipment_id.map(tracing::field::display),
        otel.kind = "consumer",
    );
    shipping_telemetry::set_parent(&span, traceparent);
    span
}

/// Runs one job attempt and records it: `jobs_total{queue,kind,outcome}` (succeeded, retry,
/// failed), `job_duration_seconds{queue,kind}`, and for `sync_order`
/// `syncs_total{outcome,error_class}`.
pub async fn observe<F>(job: &Job, run: F) -> Result<(), JobFailure>
where
    F: Future<Output = Result<(), JobFailure>>,
{
    let started = Instant::now();
    let (result, class) = ERROR_CLASS
        .scope(Cell::new(None), async move {
            let result = run.await;
            (result, ERROR_CLASS.with(Cell::get))
        })
        .await;
    let queue = priority_name(job.priority());
    let kind = job.kind();
    let outcome = match &result {
        Ok(()) => "succeeded",
        Err(JobFailure::Retry { .. }) => "retry",
        Err(JobFailure::Permanent { .. }) => "failed",
    };
    metrics::counter!("jobs_total", "queue" => queue, "kind" => kind, "outcome" => outcome).increment(1);
    metrics::histogram!("job_duration_seconds", "queue" => queue, "kind" => kind)
        .record(started.elapsed().as_secs_f64());
    if matches!(job, Job::SyncOrder(_)) {
        let error_class = match (&result, class) {
            (Ok(()), _) => "none",
            (Err(_), Some(c)) => c,
            (Err(_), None) => "other",
        };
        metrics::counter!("syncs_total", "outcome" => outcome, "error_class" => error_class).increment(1);
    }
    result
}

/// A job that will not be tried again.
pub fn record_dead(job: &Job) {
    metrics::counter!("jobs_dead_lettered_total", "queue" => priority_name(job.priority()), "kind" => job.kind())
        .increment(1);
}

/// Reads the gauges once. Every replica reports the same shared numbers (queue depth, dead
/// jobs): dashboards and alerts take `max` across instances, not `sum`.
pub async fn refresh_gauges(store: &Store, queues: &Queues) {
    match queues.depth().await {
        Ok(depths) => {
            for d in &depths {
                let queue = priority_name(d.priority);
                metrics::gauge!("queue_depth", "queue" => queue, "state" => "ready").set(d.ready as f64);
                metrics::gauge!("queue_depth", "queue" => queue, "state" => "scheduled").set(d.scheduled as f64);
            }
            // For the admin dashboard, which does not talk to the queue itself.
            let reading: Vec<(&str, u64, u64)> =
                depths.iter().map(|d| (priority_name(d.priority), d.ready, d.scheduled)).collect();
            if let Err(e) = store.record_queue_depths(&reading, shipping_store::now()).await {
                tracing::warn!(error = %e, "could not keep the queue depth for the dashboard");
            }
        }
        Err(e) => tracing::warn!(error = %e, "queue depth unavailable"),
    }
    match store.dead_job_count().await {
        Ok(n) => metrics::gauge!("dead_jobs").set(n as f64),
        Err(e) => tracing::warn!(error = %e, "dead job count unavailable"),
    }
    match store.outbox_backlog().await {
        Ok(n) => metrics::gauge!("outbox_backlog").set(n as f64),
        Err(e) => tracing::warn!(error = %e, "outbox backlog unavailable"),
    }
    match store.tracking_freshness().await {
        Ok(f) => {
            metrics::gauge!("active_shipments").set(f.active as f64);
            let age =
                f.oldest_update.map_or(0.0, |at| (shipping_store::now() - at).num_milliseconds().max(0) as f64 / 1e3);
            metrics::gauge!("tracking_oldest_update_age_seconds").set(age);
        }
        Err(e) => tracing::warn!(error = %e, "tracking freshness unavailable"),
    }
    match store.attention_counts().await {
        Ok(counts) => {
            // Every reason, so one that clears drops to 0 instead of keeping its last value.
            for reason in shipping_domain::AttentionReason::ALL {
                let n = counts.iter().find(|(r, _)| r == reason.code()).map_or(0, |(_, n)| *n);
                metrics::gauge!("shipments_needing_attention", "reason" => reason.code()).set(n as f64);
            }
        }
        Err(e) => tracing::warn!(error = %e, "attention counts unavailable"),
    }
}

/// Refreshes the gauges every `every` until `stop` resolves.
pub async fn run_gauges(store: Store, queues: Queues, every: Duration, stop: impl Future<Output = ()>) {
    tokio::pin!(stop);
    loop {
        refresh_gauges(&store, &queues).await;
        tokio::select! {
            () = &mut stop => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}

/// Serves `/metrics` (Prometheus text) and `/healthz` on `listener` until `stop` resolves.
pub async fn serve(listener: tokio::net::TcpListener, stop: impl Future<Output = ()> + Send + 'static) -> Result<()> {
    use axum::http::{StatusCode, header};
    use axum::response::IntoResponse;
    use axum::routing::get;
    let handle = shipping_telemetry::prometheus();
    let app = axum::Router::new()
        .route(
            "/metrics",
            get(move || {
                let handle = handle.clone();
                async move {
                    match handle {
                        Some(h) => ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], h.render()).into_response(),
                        None => (StatusCode::NOT_FOUND, "metrics are not enabled in this process").into_response(),
                    }
                }
            }),
        )
        .route("/healthz", get(|| async { axum::Json(serde_json::json!({"status": "ok"})) }));
    axum::serve(listener, app).with_graceful_shutdown(stop).await.context("serving /metrics")
}

/// Binds `listen` (`host:port`; port 0 picks one); empty means no listener.
pub async fn bind(listen: &str) -> Result<Option<(tokio::net::TcpListener, SocketAddr)>> {
    if listen.trim().is_empty() {
        return Ok(None);
    }
    let listener = tokio::net::TcpListener::bind(listen.trim())
        .await
        .with_context(|| format!("binding worker.metrics_listen {listen}"))?;
    let addr = listener.local_addr()?;
    Ok(Some((listener, addr)))
}
