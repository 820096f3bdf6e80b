//! The shop-facing HTTP API of the shipping service.
//!
//! It validates, persists and promises work; it never talks to Shiprocket inside a request
//! except for checkout rates. Every job it asks for is an outbox row written in the same
//! transaction as the change that needs it; the worker's relay moves outbox rows into the
//! queue, so the API keeps accepting orders when the queue is down.
//!
//! [`cli::Cli`] is the command line; [`run`] serves; [`build`] gives the router and its state
//! (tests serve it on port 0).

pub mod auth;
pub mod cli;
pub mod config;
pub mod error;
pub mod extract;
pub mod openapi;
pub mod pages;
pub mod password;
pub mod routes;
pub mod services;
pub mod state;

use crate::config::Settings;
use crate::state::AppState;
use anyhow::Context;
use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::HeaderName;
use axum::middleware::Next;
use axum::response::Response;
use shipping_store::{Store, StoreConfig};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tower_http::LatencyUnit;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Installs the process-wide TLS provider (reqwest and sqlx bring two; rustls needs one).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

/// The Prometheus recorder, installed once per process (shared with the worker's setup).
pub fn metrics_handle() -> Option<metrics_exporter_prometheus::PrometheusHandle> {
    shipping_telemetry::prometheus()
}

/// Request counts and latency by route template (never by raw path: ids would explode the
/// label set).
async fn record_metrics(req: Request, next: Next) -> Response {
    let route =
        req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "unmatched".into());
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// The router with its middleware: request ids (kept from the caller or made), a tracing span
/// per request (method, route, request id: never bodies or query strings), metrics, and a
/// deadline that answers 503 `timeout` in the envelope.
pub fn app(state: AppState) -> Router {
    let timeout = Duration::from_millis(state.settings.server.request_timeout_ms);
    routes::router(state)
        .layer(axum::middleware::from_fn(move |req: Request, next: Next| async move {
            match tokio::time::timeout(timeout, next.run(req)).await {
                Ok(response) => response,
                Err(_) => axum::response::IntoResponse::into_response(error::ApiError::Timeout),
            }
        }))
        .layer(axum::middleware::from_fn(record_metrics))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
                    let route = req.extensions().get::<MatchedPath>().map(MatchedPath::as_str).unwrap_or("unmatched");
                    let span = tracing::info_span!("request", method = %req.method(), route, request_id = id, otel.kind = "server");
                    // A caller that traces (the shop) makes this request part of its trace.
                    let parent = req.headers().get("traceparent").and_then(|v| v.to_str().ok());
                    shipping_telemetry::set_parent(&span, parent);
                    span
                })
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO).latency_unit(LatencyUnit::Millis)),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// Connects the store (migrating if configured), builds the checkout-rates client and the
/// state.
pub async fn build(settings: Settings) -> anyhow::Result<AppState> {
    install_crypto_provider();
    // Outbox rows carry the request's trace context to the worker.
    shipping_store::jobs::set_trace_context_source(shipping_telemetry::current_traceparent);
    let mut store_config = StoreConfig::new(settings.database.url.expose());
    store_config.max_connections = settings.database.max_connections;
    store_config.schema = Some(settings.database.schema.clone()).filter(|s| !s.is_empty());
    let store = Store::connect(&store_config).await.context("connecting to the database")?;
    if settings.database.migrate_on_start {
        store.migrate().await.context("running migrations")?;
    }
    let shiprocket = rates_client(&settings).await;
    AppState::new(settings, store, shiprocket, metrics_handle())
}

/// The fleet's token store in Redis when configured and reachable; otherwise `None` (a token
/// per process). Never fails the start: Redis is not needed to accept orders.
async fn token_store(settings: &Settings) -> Option<std::sync::Arc<dyn shiprocket_client::TokenStore>> {
    let url = settings.redis.url.expose();
    if url.is_empty() {
        return None;
    }
    let connect = shiprocket_client::RedisTokenStore::connect(url, &settings.redis.key_prefix);
    match tokio::time::timeout(Duration::from_secs(3), connect).await {
        Ok(Ok(store)) => Some(std::sync::Arc::new(store)),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "Redis unreachable: the Shiprocket token stays in this process");
            None
        }
        Err(_) => {
            tracing::warn!("Redis did not answer: the Shiprocket token stays in this process");
            None
        }
    }
}

/// The client used for checkout rates: no retries inside the call (the customer is waiting;
/// a stale answer is better), the checkout timeout, the fleet's token when Redis is there.
async fn rates_client(settings: &Settings) -> Option<shiprocket_client::Client> {
    use shiprocket_client::{ClientConfig, Credentials, RetryPolicy, Secret, Timeouts};
    let sr = &settings.shiprocket;
    let base = url::Url::parse(&sr.base_url).ok()?;
    let credentials = (!sr.email.is_empty() && !sr.password.is_empty())
        .then(|| Credentials { email: sr.email.clone(), password: Secret::new(sr.password.expose()) });
    let timeout = Some(settings.rates.upstream_timeout_ms);
    let config = match credentials {
        Some(c) => ClientConfig::new(base, c),
        None => ClientConfig { base_url: base, ..ClientConfig::default() },
    };
    let config = ClientConfig {
        retry: RetryPolicy::none(),
        timeouts: Timeouts { request_ms: timeout, document_ms: timeout, connect_ms: timeout },
        log_bodies: false,
        ..config
    };
    let built = match token_store(settings).await {
        Some(tokens) => shiprocket_client::Client::with_token_store(config, tokens),
        None => shiprocket_client::Client::new(config),
    };
    match built {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::error!(error = %e, "the Shiprocket client could not be built; rates will be unavailable");
            None
        }
    }
}

/// Serves `state` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    axum::serve(listener, app(state).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
        .context("serving")
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
    tracing::info!("shutting down: finishing in-flight requests");
}

/// On SIGHUP, re-reads the settings and swaps the feature flags (no restart needed).
fn reload_flags_on_sighup(state: AppState) {
    #[cfg(unix)]
    tokio::spawn(async move {
        let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else { return };
        while hup.recv().await.is_some() {
            match Settings::load() {
                Ok(s) => {
                    state.set_flags(s.flags());
                    tracing::info!(flags = ?s.flags(), "feature flags reloaded");
                }
                Err(e) => tracing::error!(error = %e, "reload failed; flags unchanged"),
            }
        }
    });
    #[cfg(not(unix))]
    let _ = state;
}

/// The program: settings, tracing, store, serve until SIGTERM/Ctrl-C.
pub async fn run() -> anyhow::Result<()> {
    let settings = Settings::load().context("reading settings")?;
    // Kept to the end: dropping it flushes buffered spans.
    let _telemetry = shipping_telemetry::init("shipping-api", &settings.telemetry.otlp_endpoint);
    let listen = settings.server.listen.clone();
    let state = build(settings).await?;
    reload_flags_on_sighup(state.clone());
    let listener = tokio::net::TcpListener::bind(&listen).await.with_context(|| format!("binding {listen}"))?;
    tracing::info!(addr = %listener.local_addr()?, flags = ?state.flags(), "shipping-api listening");
    serve(listener, state, shutdown_signal()).await
}
