//! Observability both binaries share, so the API and the worker look the same to operators:
//!
//! - [`prometheus`]: the process-wide Prometheus recorder behind the `metrics` facade (every
//!   crate records with `metrics::counter!` & co.; the binary renders it on `/metrics`);
//! - [`init`]: JSON logs (with the fields of the enclosing spans: request, job and order ids)
//!   and, when `telemetry.otlp_endpoint` is set, OpenTelemetry traces exported over OTLP/HTTP;
//! - [`current_traceparent`] / [`set_parent`]: the W3C `traceparent` that jobs carry through
//!   the outbox and the queue, so one trace follows an order from the API into the worker.
//!
//! A separate crate (not a module of the store) because it brings the OpenTelemetry SDK and
//! exporter, which the store, the simulator and the domain have no business compiling.

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use std::collections::HashMap;
use std::sync::OnceLock;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Histogram buckets for every `*_seconds` metric. They go past 10 s so that "slower than
/// 10 s" (the API latency alert) is a bucket boundary, not the overflow bucket.
pub const SECONDS_BUCKETS: [f64; 15] =
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

/// The Prometheus recorder, installed once per process (`None` if another recorder was
/// installed first, e.g. by a test).
pub fn prometheus() -> Option<PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let handle = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &SECONDS_BUCKETS)
                .ok()?
                .install_recorder()
                .ok()?;
            metrics::gauge!("shipping_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
            Some(handle)
        })
        .clone()
}

/// Keeps the trace exporter alive; dropping it flushes the spans still buffered.
#[derive(Debug, Default)]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Exports what is buffered now (tests read their in-memory exporter after this).
    pub fn flush(&self) {
        if let Some(p) = &self.provider {
            let _ = p.force_flush();
        }
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Some(p) = self.provider.take() {
            let _ = p.shutdown();
        }
    }
}

/// JSON logs filtered by `RUST_LOG` (default `info`, quieter SQL), plus OTLP traces to
/// `otlp_endpoint` (e.g. `http://otel-collector:4318/v1/traces`) when it is not empty.
/// A second call in the same process keeps the first subscriber.
pub fn init(service: &'static str, otlp_endpoint: &str) -> Telemetry {
    let provider = if otlp_endpoint.trim().is_empty() {
        None
    } else {
        use opentelemetry_otlp::WithExportConfig;
        match opentelemetry_otlp::SpanExporter::builder().with_http().with_endpoint(otlp_endpoint.trim()).build() {
            Ok(exporter) => Some(provider_builder(service).with_batch_exporter(exporter).build()),
            Err(e) => {
                // Logging is not up yet; tracing must never stop the service.
                eprintln!("{{\"level\":\"ERROR\",\"message\":\"OTLP exporter not built: {e}\"}}");
                None
            }
        }
    };
    init_with(service, provider)
}

/// A tracer provider builder with the service name set (tests add an in-memory exporter).
pub fn provider_builder(service: &'static str) -> opentelemetry_sdk::trace::TracerProviderBuilder {
    SdkTracerProvider::builder()
        .with_resource(opentelemetry_sdk::Resource::builder().with_service_name(service).build())
}

/// [`init`] with a given tracer provider (or none).
pub fn init_with(service: &'static str, provider: Option<SdkTracerProvider>) -> Telemetry {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    // The span list puts the ids of every enclosing span (request id, job kind and attempt,
    // order and shipment ids) on each line. Spans and events never carry customer data.
    let fmt = tracing_subscriber::fmt::layer().json().with_current_span(false).with_span_list(true);
    let otel = provider.as_ref().map(|p| tracing_opentelemetry::layer().with_tracer(p.tracer(service)));
    let _ = tracing_subscriber::registry().with(filter).with(fmt).with(otel).try_init();
    Telemetry { provider }
}

/// The W3C `traceparent` of the current span, if it belongs to a sampled trace (that is, when
/// tracing is on). Stored with each job so the worker continues the trace.
pub fn current_traceparent() -> Option<String> {
    let cx = tracing::Span::current().context();
    if !cx.span().span_context().is_valid() {
        return None;
    }
    let mut carrier = HashMap::new();
    TraceContextPropagator::new().inject_context(&cx, &mut carrier);
    carrier.remove("traceparent")
}

/// Makes `span` a child of the remote span `traceparent` names (from a job payload or an
/// incoming request). An absent or malformed value leaves `span` a root.
pub fn set_parent(span: &tracing::Span, traceparent: Option<&str>) {
    let Some(tp) = traceparent.filter(|t| !t.is_empty()) else { return };
    let carrier = HashMap::from([("traceparent".to_owned(), tp.to_owned())]);
    let cx = TraceContextPropagator::new().extract(&carrier);
    if cx.span().span_context().is_valid() {
        let _ = span.set_parent(cx);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_traceparent_round_trips_through_a_span() {
        let exporter = opentelemetry_sdk::trace::InMemorySpanExporterBuilder::new().build();
        let provider = provider_builder("test").with_simple_exporter(exporter.clone()).build();
        let subscriber =
            tracing_subscriber::registry().with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
        tracing::subscriber::with_default(subscriber, || {
            assert_eq!(current_traceparent(), None, "no span, no context");
            let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
            let span = tracing::info_span!("job");
            set_parent(&span, Some(parent));
            let tp = span.in_scope(current_traceparent).unwrap();
            assert!(tp.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"), "same trace: {tp}");
            assert!(!tp.contains("00f067aa0ba902b7"), "a new span id: {tp}");
            let other = tracing::info_span!("bad");
            set_parent(&other, Some("garbage"));
            let own = other.in_scope(current_traceparent).unwrap();
            assert!(!own.contains("4bf92f3577b34da6a3ce929d0e0e4736"), "a malformed parent is ignored");
        });
    }
}
