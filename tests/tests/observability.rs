//! Observability, end to end:
//!
//! - the `shipping-api` and `shipping-worker` programs (their `main`s, see `src/bin/`), each in its own process (so each has
//!   its own metrics recorder), run an order to delivery against the simulator; then every metric
//!   that `deploy/prometheus/alerts.yml` and `deploy/grafana/shipping.json` use must be in the
//!   scrape of the binary their `job` selector names (either one when they name none);
//! - in this process, with an in-memory span exporter: one trace goes from the order-paid
//!   request through the outbox and the queue (the `traceparent` in the job payload) to the
//!   worker's job and its Shiprocket call.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use shiprocket_sim::{FaultKind, FaultRule, SimConfig, Simulator};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const KEY: &str = "obs-key";
const HOOK_TOKEN: &str = "obs-hook-token";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn order(id: &str, pincode: &str) -> Value {
    let mut o: Value =
        serde_json::from_slice(&std::fs::read(root().join("docs/examples/order-paid.json")).unwrap()).unwrap();
    o["id"] = json!(id);
    o["billing"]["pincode"] = json!(pincode);
    o
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "shipping-{tag}-{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_micros()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

// ---------------------------------------------------------------------------------------------
// Metrics: the binaries in their own processes.

type Lines = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

/// A child process whose JSON log lines are read until `ready` appears (its `addr` field is
/// returned), then collected in the background (a full pipe would block the child).
async fn spawn(mut cmd: Command, ready: &str) -> (Child, String, Lines) {
    cmd.stdout(std::process::Stdio::piped()).kill_on_drop(true);
    let mut child = cmd.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let seen: Lines = Default::default();
    let deadline = Instant::now() + Duration::from_secs(60);
    let addr = loop {
        let line = tokio::time::timeout_at(deadline.into(), lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("no {ready:?} within 60 s"))
            .unwrap()
            .unwrap_or_else(|| panic!("the process exited before {ready:?}"));
        seen.lock().unwrap().push(line.clone());
        if let Ok(v) = serde_json::from_str::<Value>(&line)
            && v["fields"]["message"] == ready
        {
            break v["fields"]["addr"].as_str().unwrap().to_owned();
        }
    };
    let collect = seen.clone();
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            collect.lock().unwrap().push(line);
        }
    });
    (child, addr, seen)
}

/// Sample names in a Prometheus text exposition.
fn sample_names(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split(['{', ' ']).next().unwrap().to_owned())
        .collect()
}

/// Every `metric{labels}` selector in a PromQL expression: (metric, the `job` it names).
/// Our files always write selectors with braces; a metric-looking word without them fails.
fn selectors(expr: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let bytes = expr.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i] as char;
        if c == '"' {
            // Skip string literals (label values, le="10").
            i += 1;
            while i < bytes.len() && bytes[i] as char != '"' {
                i += 1;
            }
            i += 1;
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < bytes.len() && ((bytes[i] as char).is_ascii_alphanumeric() || bytes[i] as char == '_') {
                i += 1;
            }
            let word = &expr[start..i];
            if bytes.get(i) == Some(&b'{') {
                let end = expr[i..].find('}').unwrap() + i;
                let labels = &expr[i + 1..end];
                let job = labels.split(',').find_map(|m| {
                    let (k, v) = m.split_once('=')?;
                    (k.trim() == "job").then(|| v.trim().trim_matches(['"', '~']).to_owned())
                });
                out.push((word.to_owned(), job));
                i = end + 1;
            } else {
                let metric_like = ["_total", "_seconds", "_bucket", "_count", "_jobs", "_depth", "_backlog"];
                assert!(
                    !metric_like.iter().any(|s| word.ends_with(s)),
                    "{word} is used without {{…}} in {expr:?}: write selectors with braces"
                );
            }
            continue;
        }
        i += 1;
    }
    out
}

/// (metric, job) pairs of the alert rules and the dashboard.
fn used_metrics() -> BTreeMap<String, BTreeSet<Option<String>>> {
    let mut exprs: Vec<String> = Vec::new();
    let alerts: serde_norway::Value =
        serde_norway::from_str(&std::fs::read_to_string(root().join("deploy/prometheus/alerts.yml")).unwrap()).unwrap();
    for g in alerts["groups"].as_sequence().unwrap() {
        for r in g["rules"].as_sequence().unwrap() {
            exprs.push(r["expr"].as_str().unwrap().to_owned());
        }
    }
    let dash: Value =
        serde_json::from_slice(&std::fs::read(root().join("deploy/grafana/shipping.json")).unwrap()).unwrap();
    let mut panels = 0;
    for p in dash["panels"].as_array().unwrap() {
        for t in p["targets"].as_array().into_iter().flatten() {
            exprs.push(t["expr"].as_str().unwrap().to_owned());
            panels += 1;
        }
    }
    assert!(panels >= 15, "the dashboard has its queries");
    let mut used: BTreeMap<String, BTreeSet<Option<String>>> = BTreeMap::new();
    for e in &exprs {
        let found = selectors(e);
        assert!(!found.is_empty(), "no metric selector in {e:?}");
        for (metric, job) in found {
            used.entry(metric).or_default().insert(job);
        }
    }
    used
}

#[test]
fn the_selector_parser_finds_metrics_and_jobs_and_refuses_bare_names() {
    let s = selectors(r#"sum(rate(a_total{job="shipping-api", le="10"}[5m])) / max(b{}) > 0"#);
    assert_eq!(s, vec![("a_total".into(), Some("shipping-api".into())), ("b".into(), None)]);
    assert!(std::panic::catch_unwind(|| selectors("rate(jobs_total[5m])")).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn both_binaries_expose_every_metric_the_alerts_and_the_dashboard_use() {
    // `shipping_api::run()` and `shipping_worker::app::main()` in processes of their own.
    let api_bin = env!("CARGO_BIN_EXE_api-process");
    let worker_bin = env!("CARGO_BIN_EXE_worker-process");
    let dir = temp_dir("obs-metrics");
    let db = format!("sqlite://{}/shipping.db?mode=rwc", dir.display());
    let sim =
        Simulator::start(SimConfig { webhook_token: Some(HOOK_TOKEN.into()), ..SimConfig::default() }).await.unwrap();
    // One 429 from Shiprocket on the order create: the worker waits as told and retries.
    sim.add_fault(FaultRule {
        endpoint: "orders/create/adhoc".into(),
        kind: FaultKind::RateLimited { retry_after_secs: Some(1) },
        probability: 1.0,
        times: Some(1),
    });

    let mut api = Command::new(api_bin);
    api.current_dir(&dir)
        .env("RUST_LOG", "info")
        .env("SHIPPING__SERVER__LISTEN", "127.0.0.1:0")
        .env("SHIPPING__DATABASE__URL", &db)
        .env("SHIPPING__AUTH__API_KEYS", KEY)
        .env("SHIPPING__SHIPROCKET__BASE_URL", sim.base_url())
        .env("SHIPPING__SHIPROCKET__EMAIL", "api-user@example-store.in")
        .env("SHIPPING__SHIPROCKET__PASSWORD", "sim")
        .env("SHIPPING__SHIPROCKET__PICKUP_LOCATION", "Primary WH")
        .env("SHIPPING__SHIPROCKET__PICKUP_PINCODE", "411013")
        .env("SHIPPING__SHIPROCKET__WEBHOOK_TOKEN", HOOK_TOKEN);
    let (mut api_process, api_addr, api_logs) = spawn(api, "shipping-api listening").await;
    let api_url = format!("http://{api_addr}");
    sim.set_webhook_url(Some(format!("{api_url}/webhooks/courier-updates")));

    let mut worker = Command::new(worker_bin);
    worker
        .current_dir(&dir)
        .env("RUST_LOG", "info")
        .env("SHIPPING__DATABASE__URL", &db)
        .env("SHIPPING__SHIPROCKET__BASE_URL", sim.base_url())
        .env("SHIPPING__SHIPROCKET__EMAIL", "api-user@example-store.in")
        .env("SHIPPING__SHIPROCKET__PASSWORD", "sim")
        .env("SHIPPING__SHIPROCKET__REQUESTS_PER_SECOND", "100")
        .env("SHIPPING__MAIL__DIR", dir.join("outbox").display().to_string())
        .env("SHIPPING__WORKER__RELAY_INTERVAL_MS", "100")
        .env("SHIPPING__WORKER__METRICS_LISTEN", "127.0.0.1:0")
        .env("SHIPPING__WORKER__GAUGES_INTERVAL_MS", "200")
        .env("SHIPPING__QUEUE__BACKEND__KIND", "sqlite")
        .env("SHIPPING__QUEUE__BACKEND__URL", format!("sqlite://{}/queue.db", dir.display()))
        .env("SHIPPING__QUEUE__POLL_INTERVAL_MS", "100");
    let (mut worker_process, worker_addr, worker_logs) = spawn(worker, "worker metrics listening").await;
    let worker_url = format!("http://{worker_addr}");

    let http = reqwest::Client::new();
    let r = http
        .post(format!("{api_url}/v1/orders"))
        .bearer_auth(KEY)
        .json(&order("OBS-1", "560001"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let state = |want: &'static str| {
        let http = http.clone();
        let api_url = api_url.clone();
        async move {
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                let s: Value = http
                    .get(format!("{api_url}/v1/orders/OBS-1/shipment"))
                    .bearer_auth(KEY)
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                if s["shipment"]["state"] == want {
                    return;
                }
                assert!(Instant::now() < deadline, "never reached {want}: {s:#}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    };
    state("pickup_scheduled").await;
    sim.advance(chrono::Duration::hours(35)).await;
    state("out_for_delivery").await;
    sim.advance(chrono::Duration::hours(5)).await;
    state("delivered").await;

    // What an order's life does not touch by itself: checkout rates (a miss, then a hit) and a
    // webhook with a wrong key.
    for _ in 0..2 {
        let r = http.get(format!("{api_url}/v1/rates?delivery_pincode=560001&weight=0.5")).send().await.unwrap();
        assert_eq!(r.status(), 200, "{:?}", r.text().await);
    }
    let r = http
        .post(format!("{api_url}/webhooks/courier-updates"))
        .header("x-api-key", "wrong")
        .json(&json!({"awb": "1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    tokio::time::sleep(Duration::from_millis(600)).await; // a gauge refresh or two

    let scrape = |url: String| {
        let http = http.clone();
        async move {
            let r = http.get(url).send().await.unwrap();
            assert_eq!(r.status(), 200);
            sample_names(&r.text().await.unwrap())
        }
    };
    let api_metrics = scrape(format!("{api_url}/metrics")).await;
    let worker_metrics = scrape(format!("{worker_url}/metrics")).await;
    let health: Value = http.get(format!("{worker_url}/healthz")).send().await.unwrap().json().await.unwrap();
    assert_eq!(health["status"], "ok");

    // Separate processes, separate registries: each binary shows only its own signals.
    assert!(api_metrics.contains("http_requests_total") && !worker_metrics.contains("http_requests_total"));
    assert!(worker_metrics.contains("jobs_total") && !api_metrics.contains("jobs_total"));

    // Prometheus makes `up` itself.
    let synthetic = ["up"];
    let mut missing = Vec::new();
    for (metric, jobs) in used_metrics() {
        if synthetic.contains(&metric.as_str()) {
            continue;
        }
        for job in jobs {
            let found = match job.as_deref() {
                Some("shipping-api") => api_metrics.contains(&metric),
                Some("shipping-worker") => worker_metrics.contains(&metric),
                Some(other) => panic!("{metric}: unknown job {other}"),
                None => api_metrics.contains(&metric) || worker_metrics.contains(&metric),
            };
            if !found {
                missing.push(format!("{metric} (job {job:?})"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "used by alerts/dashboard but not exposed: {missing:?}\napi: {api_metrics:?}\nworker: {worker_metrics:?}"
    );

    // Logs: JSON lines; those inside a request carry its id, those inside a job its kind and
    // the order/shipment ids; no customer data anywhere (name, phone, e-mail, address).
    let api_logs = api_logs.lock().unwrap().clone();
    let worker_logs = worker_logs.lock().unwrap().clone();
    let parse = |lines: &[String]| -> Vec<Value> {
        lines.iter().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"))).collect()
    };
    let api_json = parse(&api_logs);
    let worker_json = parse(&worker_logs);
    let in_span = |lines: &[Value], span: &str, field: &str| {
        lines
            .iter()
            .any(|l| l["spans"].as_array().into_iter().flatten().any(|s| s["name"] == span && !s[field].is_null()))
    };
    assert!(in_span(&api_json, "request", "request_id"), "API lines carry the request id");
    assert!(in_span(&worker_json, "queue.process", "order_id"), "worker lines carry the order id");
    assert!(in_span(&worker_json, "queue.process", "shipment_id"), "worker lines carry the shipment id");
    assert!(in_span(&worker_json, "job", "kind"), "worker lines carry the job kind");
    for line in api_logs.iter().chain(&worker_logs) {
        for pii in ["Asha", "Verma", "9800000001", "asha.verma@example.com", "Lotus Apartments"] {
            assert!(!line.contains(pii), "customer data {pii:?} in a log line: {line}");
        }
    }
    // Killed and reaped before the test ends: a child still holding the test's stderr is a leak.
    for p in [&mut api_process, &mut worker_process] {
        let _ = p.kill().await;
    }
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------------------------
// Traces: API and worker in this process, spans into memory.

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_trace_follows_an_order_from_the_request_through_the_queue_to_the_shiprocket_call() {
    use opentelemetry::trace::{SpanId, TraceId};
    let exporter = opentelemetry_sdk::trace::InMemorySpanExporterBuilder::new().build();
    let provider = shipping_telemetry::provider_builder("shipping-test").with_simple_exporter(exporter.clone()).build();
    let telemetry = shipping_telemetry::init_with("shipping-test", Some(provider));

    let dir = temp_dir("obs-trace");
    let db = format!("sqlite://{}/shipping.db?mode=rwc", dir.display());
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api_url = format!("http://{}", listener.local_addr().unwrap());
    let env: std::collections::HashMap<String, String> = [
        ("SHIPPING__DATABASE__URL", db.as_str()),
        ("SHIPPING__AUTH__API_KEYS", KEY),
        ("SHIPPING__SHIPROCKET__BASE_URL", sim.base_url().as_str()),
        ("SHIPPING__SHIPROCKET__EMAIL", "api-user@example-store.in"),
        ("SHIPPING__SHIPROCKET__PASSWORD", "sim"),
        ("SHIPPING__SHIPROCKET__PICKUP_LOCATION", "Primary WH"),
        ("SHIPPING__SHIPROCKET__PICKUP_PINCODE", "411013"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let state = shipping_api::build(shipping_api::config::Settings::load_from(&env).unwrap()).await.unwrap();
    let api = tokio::spawn(async move { shipping_api::serve(listener, state, std::future::pending()).await });

    let mut config = shipping_worker::settings::WorkerConfig::default();
    config.database.url = db;
    config.shiprocket.base_url = sim.base_url();
    config.shiprocket.email = "api-user@example-store.in".into();
    config.shiprocket.password = shiprocket_client::Secret::new("sim");
    config.shiprocket.requests_per_second = 100;
    config.mail.dir = dir.join("outbox").display().to_string();
    config.worker.relay_interval_ms = 100;
    config.queue.backend =
        shipping_worker::queue::QueueBackend::Sqlite { url: format!("sqlite://{}/queue.db", dir.display()) };
    config.queue.poll_interval_ms = 100;
    let worker = tokio::spawn(shipping_worker::app::run_with_metrics(config, None));

    let http = reqwest::Client::new();
    let r = http
        .post(format!("{api_url}/v1/orders"))
        .bearer_auth(KEY)
        .json(&order("TRACE-1", "560001"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);

    // Wait until the worker's order create and the follow-up AWB job have been exported.
    let deadline = Instant::now() + Duration::from_secs(60);
    let spans = loop {
        telemetry.flush();
        let spans = exporter.get_finished_spans().unwrap();
        let attr = |s: &opentelemetry_sdk::trace::SpanData, key: &str| {
            s.attributes.iter().find(|kv| kv.key.as_str() == key).map(|kv| kv.value.to_string())
        };
        let has = |name: &str, key: &str, value: &str| {
            spans.iter().any(|s| s.name == name && attr(s, key).as_deref() == Some(value))
        };
        if has("shiprocket", "endpoint", "orders.create") && has("queue.process", "kind", "assign_awb") {
            break spans;
        }
        assert!(Instant::now() < deadline, "spans so far: {:?}", spans.iter().map(|s| &s.name).collect::<Vec<_>>());
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    api.abort();
    worker.abort();

    let attr = |s: &opentelemetry_sdk::trace::SpanData, key: &str| {
        s.attributes.iter().find(|kv| kv.key.as_str() == key).map(|kv| kv.value.to_string())
    };
    let by_id: std::collections::HashMap<(TraceId, SpanId), &opentelemetry_sdk::trace::SpanData> =
        spans.iter().map(|s| ((s.span_context.trace_id(), s.span_context.span_id()), s)).collect();
    let find = |name: &str, key: &str, value: &str| {
        spans
            .iter()
            .find(|s| s.name == name && attr(s, key).as_deref() == Some(value))
            .unwrap_or_else(|| panic!("no {name} span with {key}={value}"))
    };
    // Walks up the parents inside the trace: does `span` descend from `ancestor`?
    let descends = |span: &opentelemetry_sdk::trace::SpanData, ancestor: &opentelemetry_sdk::trace::SpanData| {
        let mut cur = span;
        loop {
            if cur.span_context.span_id() == ancestor.span_context.span_id() {
                return true;
            }
            match by_id.get(&(cur.span_context.trace_id(), cur.parent_span_id)) {
                Some(parent) => cur = parent,
                None => return false,
            }
        }
    };

    let request = find("request", "route", "/v1/orders");
    let trace = request.span_context.trace_id();
    let create = find("shiprocket", "endpoint", "orders.create");
    let chain = |span: &opentelemetry_sdk::trace::SpanData| {
        let mut names = vec![span.name.to_string()];
        let mut cur = span;
        while let Some(p) = by_id.get(&(cur.span_context.trace_id(), cur.parent_span_id)) {
            names.push(p.name.to_string());
            cur = p;
        }
        names
    };
    assert_eq!(create.span_context.trace_id(), trace, "the worker's Shiprocket call is in the request's trace");
    assert_eq!(
        chain(create),
        ["shiprocket", "job", "queue.process", "request"],
        "request → (outbox, queue) → the worker's job → its Shiprocket call"
    );
    // The consumer span is made in the worker's executor task, which has no ambient span: its
    // parent can only come from the `traceparent` the outbox row and the queue carried.
    let consumer = by_id[&(trace, by_id[&(trace, create.parent_span_id)].parent_span_id)];
    assert_eq!(consumer.parent_span_id, request.span_context.span_id(), "the job is a child of the ingest request");
    assert_eq!(attr(consumer, "kind").as_deref(), Some("sync_order"));
    assert_eq!(attr(consumer, "queue").as_deref(), Some("high"));
    assert!(attr(consumer, "order_id").is_some() && attr(consumer, "shipment_id").is_some(), "ids on the job span");
    // A follow-up job (promised inside sync_order) stays in the order's trace.
    let awb = find("queue.process", "kind", "assign_awb");
    assert_eq!(awb.span_context.trace_id(), trace, "follow-up jobs stay in the order's trace");
    assert!(descends(awb, consumer), "assign_awb was promised by sync_order: {:?}", chain(awb));
    let _ = std::fs::remove_dir_all(&dir);
}
