//! The worker process: one `run()` that builds the context once and runs the queues, the crons
//! and the outbox relay until SIGTERM. The command line is [`crate::cli`].

use crate::context::Context;
use crate::handler::Handler;
use crate::mail::Mailer;
use crate::queue::{Queues, termination_signal};
use crate::relay::{self, JobSink};
use crate::settings::WorkerConfig;
use anyhow::{Context as _, Result, anyhow};
use futures::future::BoxFuture;
use shipping_store::jobs::{Job, TracedJob};
use shipping_store::{Store, StoreConfig};
use shiprocket_client::{Client, MemoryTokenStore, RedisTokenStore, TokenStore};
use std::sync::Arc;
use std::time::Duration;

impl JobSink for Queues {
    fn push_all<'a>(&'a self, jobs: &'a [Job]) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move { Queues::push_all(self, jobs).await.map_err(|e| e.to_string()) })
    }

    fn push_traced<'a>(&'a self, jobs: &'a [TracedJob]) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move { Queues::push_all_traced(self, jobs).await.map_err(|e| e.to_string()) })
    }
}

pub async fn open_store(config: &WorkerConfig) -> Result<Store> {
    let mut sc = StoreConfig::new(config.database.url.clone());
    sc.max_connections = config.database.max_connections;
    sc.schema = Some(config.database.schema.clone()).filter(|s| !s.is_empty());
    let store = Store::connect(&sc).await.context("connecting to the database")?;
    // Another process (the API, a second worker) may be migrating at the same moment: its
    // migration wins, ours sees it applied on the next try.
    let mut attempt = 0;
    loop {
        attempt += 1;
        match store.migrate().await {
            Ok(()) => return Ok(store),
            Err(e) if attempt < 5 => {
                tracing::warn!(error = %e, attempt, "migration failed; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(e) => return Err(e).context("running migrations"),
        }
    }
}

/// Builds everything the jobs need, from configuration.
pub async fn context(config: &WorkerConfig, store: Store, queues: Option<Queues>) -> Result<Context> {
    let client_config = config.client_config().map_err(|e| anyhow!(e))?;
    let tokens: Arc<dyn TokenStore> = match &config.shiprocket.token_redis_url {
        Some(url) if !url.is_empty() => {
            Arc::new(RedisTokenStore::connect(url, &config.shiprocket.token_key_prefix).await?)
        }
        _ => Arc::new(MemoryTokenStore::new()),
    };
    let shiprocket = Client::with_token_store(client_config, tokens)?;
    let mailer = match config.mail.mode.as_str() {
        "files" => Mailer::Files(config.mail.dir.clone().into()),
        "smtp" => {
            let url = config
                .mail
                .smtp_url
                .as_ref()
                .ok_or_else(|| anyhow!("mail.smtp_url is required when mail.mode = smtp"))?;
            let transport = lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(url.expose())
                .map_err(|e| anyhow!("mail.smtp_url: {e}"))?
                .build();
            Mailer::Smtp { transport }
        }
        other => return Err(anyhow!("mail.mode must be files or smtp, not {other:?}")),
    };
    let settings = config.settings().map_err(|e| anyhow!(e))?;
    Ok(Context {
        store,
        shiprocket,
        http: reqwest::Client::builder().timeout(Duration::from_secs(60)).build()?,
        mailer,
        settings,
        queues,
    })
}

/// Runs the worker until SIGTERM or Ctrl-C, with `/metrics` on `worker.metrics_listen`.
pub async fn run(config: WorkerConfig) -> Result<()> {
    // A taken port must not stop the jobs: the worker then runs unscraped (and the fleet-down
    // alert says so) rather than not at all.
    let listener = match crate::metrics::bind(&config.worker.metrics_listen).await {
        Ok(bound) => bound.map(|(listener, _)| listener),
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "no /metrics listener");
            None
        }
    };
    run_with_metrics(config, listener).await
}

/// [`run`] serving `/metrics` and `/healthz` on `metrics` (tests bind port 0 and read it).
pub async fn run_with_metrics(config: WorkerConfig, metrics: Option<tokio::net::TcpListener>) -> Result<()> {
    shipping_store::jobs::set_trace_context_source(shipping_telemetry::current_traceparent);
    let _ = shipping_telemetry::prometheus();
    let store = open_store(&config).await?;
    let queues = Queues::connect(&config.queue).await?;
    let ctx = context(&config, store.clone(), Some(queues.clone())).await?;
    crate::jobs::cron::register(&queues, &config)?;
    let w = &config.worker;

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let relay_queues = queues.clone();
    let relay_store = store.clone();
    let relay_every = Duration::from_millis(w.relay_interval_ms);
    let relay_stop = stopped(stop_rx.clone());
    let relay = tokio::spawn(async move { relay::run(relay_store, &relay_queues, relay_every, relay_stop).await });
    let gauges_every = Duration::from_millis(w.gauges_interval_ms.max(100));
    tokio::spawn(crate::metrics::run_gauges(store.clone(), queues.clone(), gauges_every, stopped(stop_rx.clone())));
    if let Some(listener) = metrics {
        let addr = listener.local_addr()?;
        let stop = stopped(stop_rx.clone());
        tokio::spawn(async move {
            if let Err(e) = crate::metrics::serve(listener, stop).await {
                tracing::error!(error = %format!("{e:#}"), "the /metrics listener stopped");
            }
        });
        tracing::info!(%addr, "worker metrics listening");
    }
    tokio::spawn(async move {
        termination_signal().await;
        let _ = stop_tx.send(true);
    });
    tracing::info!(database = %redact(&config.database.url), shiprocket = %config.shiprocket.base_url, "shipping-worker running");
    let result = queues.run(Arc::new(Handler { ctx }), stopped(stop_rx)).await;
    let _ = relay.await;
    result
}

/// The database URL without its password, for the start-up log line.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://[redacted]{}", &url[..s], &url[at..]),
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn database_passwords_are_not_logged() {
        assert_eq!(super::redact("postgres://app:s3cret@db:5432/shipping"), "postgres://[redacted]@db:5432/shipping");
        assert_eq!(super::redact("sqlite://data/shipping.db?mode=rwc"), "sqlite://data/shipping.db?mode=rwc");
    }
}
