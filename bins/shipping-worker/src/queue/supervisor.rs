//! The run loop: one apalis worker per queue (restarted when its backend fails), the Redis
//! promoter, the crons, and graceful shutdown (in-flight jobs get `shutdown_timeout_secs`, then
//! whatever a worker still holds is released back to its queue).

use super::JobHandler;
use super::config::QueueConfig;
use super::executor::Executor;
use super::queues::{PRIORITIES, Queues, priority_name};
use anyhow::{Result, anyhow};
use apalis::prelude::{Backend, BoxDynError, Layer, LifecycleService, Service, Task, Worker, WorkerError};
use apalis_core::backend::BackendConfig;
use futures::FutureExt;
use futures::future::BoxFuture;
use shipping_store::jobs::Priority;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// Makes worker names unique between `run` calls of one process (several replicas in a test).
static NEXT_INSTANCE: AtomicU32 = AtomicU32::new(0);

impl Queues {
    /// Runs one apalis worker per queue, and the cron schedules, until `shutdown` completes. Then
    /// workers stop taking jobs and in-flight jobs get `shutdown_timeout_secs` to finish; jobs
    /// still running after that are cancelled and released back to their queue.
    pub async fn run<F>(&self, handler: Arc<dyn JobHandler>, shutdown: F) -> Result<()>
    where
        F: Future<Output = ()> + Send,
    {
        let (stop_tx, stop_rx) = watch::channel(false);
        let instance = NEXT_INSTANCE.fetch_add(1, Ordering::Relaxed);
        let replica = replica_name(&self.inner.cfg);
        let mut tasks = JoinSet::new();
        if self.inner.backend.needs_promotion() {
            // A first pass before the workers' first fetch, which a backlog would make fail.
            for priority in PRIORITIES {
                self.inner.backend.promote_due(priority).await?;
            }
            tasks.spawn(self.clone().run_promoter(stop_rx.clone()));
        }
        let exec = Arc::new(Executor::new(self.clone(), handler));
        for priority in PRIORITIES {
            let name = format!("{replica}-{}-{instance}-{}", process_token(), priority_name(priority));
            tasks.spawn(self.clone().run_queue(priority, name, exec.clone(), stop_rx.clone()));
        }
        for cron in self.crons()? {
            tasks.spawn(self.clone().run_cron(cron, stop_rx.clone()));
        }

        let mut first_error = None;
        tokio::select! {
            () = shutdown => tracing::info!("queue shutdown requested"),
            Some(early) = tasks.join_next() => {
                // Workers only return once stopped, so this is a panic or a bug: stop the rest.
                first_error = Some(anyhow!("a queue task ended before shutdown: {:?}", early.err()));
            }
        }
        stop_tx.send_replace(true);
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(Ok(())) => {}
                Ok(Err(e)) => first_error = first_error.or(Some(e)),
                Err(e) => first_error = first_error.or(Some(anyhow!("a queue task panicked: {e}"))),
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Moves due jobs to the ready lists on every poll tick (`redis_repair::promote_due`).
    async fn run_promoter(self, mut stop: watch::Receiver<bool>) -> Result<()> {
        loop {
            for priority in PRIORITIES {
                if let Err(error) = self.inner.backend.promote_due(priority).await {
                    tracing::warn!(queue = priority_name(priority), %error, "could not move due jobs");
                }
            }
            tokio::select! {
                () = tokio::time::sleep(self.inner.cfg.poll_interval()) => {}
                _ = stop.wait_for(|stopped| *stopped) => return Ok(()),
            }
        }
    }

    /// One priority's worker, restarted under a new name when its backend fails (apalis refuses
    /// to re-register a name that is still in its heartbeat window).
    async fn run_queue(
        self,
        priority: Priority,
        name: String,
        exec: Arc<Executor>,
        stop: watch::Receiver<bool>,
    ) -> Result<()> {
        let cfg = &self.inner.cfg;
        let backend = &self.inner.backend;
        let mut pause = Duration::from_secs(1);
        for generation in 0u32.. {
            let worker_name = format!("{name}-{generation}");
            let started = std::time::Instant::now();
            let run = backend.worker(priority, worker_name.clone(), exec.clone(), cfg, stopped(stop.clone()));
            let exit = until_stopped(run, cfg.shutdown_timeout(), stop.clone()).await;
            // apalis only recovers a worker's in-flight jobs through its heartbeat entry, which a
            // clean close removes: whatever is still held (cancelled at the timeout, a fetch cut
            // short) goes back to the queue now. A no-op after a clean drain.
            if let Err(error) = backend.release(priority, &worker_name).await {
                tracing::warn!(worker = %worker_name, %error, "could not release in-flight jobs");
            }
            match exit {
                Exit::Stopped => return Ok(()),
                Exit::TimedOut => {
                    tracing::warn!(worker = %worker_name, "in-flight jobs outlived the shutdown timeout; released");
                    return Ok(());
                }
                Exit::Failed(error) => {
                    if *stop.borrow() {
                        return Ok(());
                    }
                    tracing::error!(worker = %worker_name, %error, "queue worker failed; restarting");
                    if started.elapsed() > Duration::from_secs(60) {
                        // It had been healthy: a new outage starts the backoff afresh.
                        pause = Duration::from_secs(1);
                    }
                    tokio::select! {
                        () = tokio::time::sleep(pause) => {}
                        () = stopped(stop.clone()) => return Ok(()),
                    }
                    pause = (pause * 2).min(Duration::from_secs(30));
                }
            }
        }
        Ok(())
    }
}

enum Exit {
    Stopped,
    TimedOut,
    Failed(String),
}

/// Runs the worker until it fails or `stop` fires and its in-flight jobs are done; gives up on
/// them `grace` after `stop`.
fn until_stopped(
    run: BoxFuture<'static, Result<(), WorkerError>>,
    grace: Duration,
    stop: watch::Receiver<bool>,
) -> BoxFuture<'static, Exit> {
    Box::pin(async move {
        let deadline = stopped(stop).then(move |()| tokio::time::sleep(grace));
        tokio::select! {
            result = run => match result {
                Ok(()) => Exit::Stopped,
                Err(e) => Exit::Failed(e.to_string()),
            },
            () = deadline => Exit::TimedOut,
        }
    })
}

/// `Worker::run_until`, boxed in a generic function with apalis' own bounds (as its `Monitor`
/// does): with the concrete types, rustc cannot prove the worker future `Send` (higher-ranked
/// lifetime errors around `BoxDynError`).
pub(super) fn run_worker<Args, S, M, FB>(
    worker: Worker<Args, FB, S, M>,
    signal: BoxFuture<'static, ()>,
) -> BoxFuture<'static, Result<(), WorkerError>>
where
    FB: BackendConfig + Backend<Task = Task<FB::Args>> + Send + Unpin + 'static,
    S: Service<Task<FB::Args>> + Send + 'static,
    FB::Args: Send + 'static,
    Args: Send + 'static,
    FB::Error: Into<BoxDynError> + Send + 'static,
    M: Layer<LifecycleService<S>> + Send + 'static,
    FB::Layer: Layer<<M as Layer<LifecycleService<S>>>::Service>,
    <FB::Layer as Layer<<M as Layer<LifecycleService<S>>>::Service>>::Service: Service<Task<FB::Args>>,
    <FB::Layer as Layer<<M as Layer<LifecycleService<S>>>::Service>>::Service: Send + 'static,
    <<FB::Layer as Layer<<M as Layer<LifecycleService<S>>>::Service>>::Service as Service<
        Task<<FB as BackendConfig>::Args>,
    >>::Future: Send,
    <<FB::Layer as Layer<<M as Layer<LifecycleService<S>>>::Service>>::Service as Service<
        Task<<FB as BackendConfig>::Args>,
    >>::Error: Into<BoxDynError> + Send + Sync + 'static,
    <<FB::Layer as Layer<<M as Layer<LifecycleService<S>>>::Service>>::Service as Service<
        Task<<FB as BackendConfig>::Args>,
    >>::Response: Send + Sync + 'static,
{
    worker.run_until(signal.map(Ok::<(), WorkerError>)).boxed()
}

fn stopped(mut stop: watch::Receiver<bool>) -> BoxFuture<'static, ()> {
    Box::pin(async move {
        // A dropped sender also means stop.
        let _ = stop.wait_for(|stopped| *stopped).await;
    })
}

/// Pid and start time: a restarted container keeps its pod name and often pid 1, and apalis
/// refuses a worker name whose previous owner was seen within the heartbeat window.
fn process_token() -> &'static str {
    static TOKEN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TOKEN.get_or_init(|| {
        let started = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
        format!("{}-{started:x}", std::process::id())
    })
}

/// The replica part of worker names: configured, else the pod or host name.
fn replica_name(cfg: &QueueConfig) -> String {
    let name = cfg
        .worker_name
        .clone()
        .or_else(|| std::env::var("POD_NAME").ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .unwrap_or_default();
    let name = name.trim();
    if name.is_empty() { "worker".to_owned() } else { name.replace(char::is_whitespace, "_") }
}

/// Completes on SIGTERM (Kubernetes, systemd) or Ctrl-C: the usual `shutdown` for [`Queues::run`].
pub async fn termination_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM; only Ctrl-C stops the worker");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
