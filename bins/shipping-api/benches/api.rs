//! `make bench`:
//! 1. order ingest through the API (HTTP, validation, idempotent store + outbox) per second on
//!    Postgres with 64 concurrent connections, as a ratio to the store's bare `ingest_order`
//!    rate measured with the same concurrency in the same run;
//! 2. checkout rates served from the cache: p50/p99 latency at a fixed 2,000 requests/s.
//!
//! Runs in its own Postgres schemas (dropped afterwards); the simulator plays Shiprocket.
//! Prints numbers; asserts nothing about time. `BENCH_SECONDS` changes the duration (default 3).
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use shipping_api::config::Settings;
use shipping_store::{NewOrder, NewOrderItem, Store, StoreConfig};
use shiprocket_sim::{SimConfig, Simulator};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const CONCURRENCY: u64 = 64;
const KEY: &str = "bench-key";

fn seconds() -> u64 {
    std::env::var("BENCH_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(3)
}

fn pg_url() -> String {
    std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

async fn schema(tag: &str) -> String {
    let name = format!("bench_api_{tag}_{}_{}", std::process::id(), chrono::Utc::now().timestamp_micros());
    let admin = Database::connect(pg_url()).await.unwrap();
    admin.execute_unprepared(&format!("CREATE SCHEMA \"{name}\"")).await.unwrap();
    admin.close().await.unwrap();
    name
}

async fn drop_schema(name: &str) {
    let admin = Database::connect(pg_url()).await.unwrap();
    admin.execute_unprepared(&format!("DROP SCHEMA \"{name}\" CASCADE")).await.unwrap();
    admin.close().await.ok();
}

fn order_json(id: &str) -> Value {
    json!({
        "id": id, "placed_at": "2026-11-28T10:00:00Z",
        "items": [{"sku": "S1", "name": "Shirt", "units": 1, "unit_price": 49900, "tax_percent": 5.0, "weight": 300}],
        "customer": {"email": "bench@example.com", "phone": "9876543210"},
        "billing": {"first_name": "Bench", "line1": "1 Test Road", "city": "Bengaluru", "state": "Karnataka", "pincode": "560038"},
        "payment": {"method": "prepaid"}
    })
}

fn new_order(id: &str) -> NewOrder {
    NewOrder {
        payload: order_json(id),
        shop_order_id: id.to_owned(),
        payment_method: "prepaid".into(),
        cod_amount_paise: 0,
        total_paise: 49_900,
        items: vec![NewOrderItem {
            sku: "S1".into(),
            name: "Shirt".into(),
            units: 1,
            unit_price_paise: 49_900,
            discount_paise: 0,
            tax_percent: 5.0,
            hsn: None,
            weight_grams: Some(300),
        }],
        channel_order_id: id.to_owned(),
        tracking_token: format!("tok{id}"),
        outbox_kind: "sync_order".into(),
        outbox_payload: json!({"type": "sync_order"}),
        requested_courier_id: None,
    }
}

/// Runs `f(n)` from `CONCURRENCY` tasks for the bench duration; operations per second.
async fn per_second<F, Fut>(f: F) -> f64
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send,
{
    let f = Arc::new(f);
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds());
    let started = Instant::now();
    let tasks: Vec<_> = (0..CONCURRENCY)
        .map(|t| {
            let (f, done) = (f.clone(), done.clone());
            tokio::spawn(async move {
                let mut i = 0;
                while Instant::now() < deadline {
                    f(t * 10_000_000 + i).await;
                    i += 1;
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

async fn start_api(sim: &Simulator, schema: &str) -> String {
    let env: HashMap<String, String> = [
        ("SHIPPING__DATABASE__URL", pg_url()),
        ("SHIPPING__DATABASE__SCHEMA", schema.to_owned()),
        ("SHIPPING__DATABASE__MAX_CONNECTIONS", "32".into()),
        ("SHIPPING__AUTH__API_KEYS", KEY.into()),
        ("SHIPPING__SHIPROCKET__BASE_URL", sim.base_url()),
        ("SHIPPING__SHIPROCKET__EMAIL", "bench@shop.example".into()),
        ("SHIPPING__SHIPROCKET__PASSWORD", "x".into()),
        // One client address sends everything: lift the per-source limit.
        ("SHIPPING__RATES__REQUESTS_PER_MINUTE_PER_SOURCE", "100000000".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let state = shipping_api::build(Settings::load_from(&env).unwrap()).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(shipping_api::serve(listener, state, std::future::pending()));
    base
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

#[tokio::main]
async fn main() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();

    // 1a. The store alone.
    let bare_schema = schema("bare").await;
    let mut config = StoreConfig::new(pg_url());
    config.schema = Some(bare_schema.clone());
    config.max_connections = 32;
    let store = Store::connect(&config).await.unwrap();
    store.migrate().await.unwrap();
    let s = store.clone();
    let bare = per_second(move |n| {
        let s = s.clone();
        async move {
            s.ingest_order(new_order(&format!("BARE-{n}"))).await.unwrap();
        }
    })
    .await;

    // 1b. Through the API.
    let api_schema = schema("api").await;
    let base = start_api(&sim, &api_schema).await;
    let http = reqwest::Client::builder().pool_max_idle_per_host(CONCURRENCY as usize).build().unwrap();
    let (h, b) = (http.clone(), base.clone());
    let api = per_second(move |n| {
        let (h, b) = (h.clone(), b.clone());
        async move {
            let r = h
                .post(format!("{b}/v1/orders"))
                .bearer_auth(KEY)
                .json(&order_json(&format!("API-{n}")))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201);
        }
    })
    .await;
    println!("ingest, Postgres, {CONCURRENCY} concurrent: store {bare:.0}/s, API {api:.0}/s, ratio {:.2}", api / bare);

    // 2. Cache-hit latency at a fixed rate.
    let url = format!("{base}/v1/rates?delivery_pincode=560038&weight=0.5&cod=0");
    assert_eq!(http.get(&url).send().await.unwrap().status(), 200, "warm the cache");
    let rate = 2_000u64;
    let total = rate * seconds();
    let mut interval = tokio::time::interval(Duration::from_micros(1_000_000 / rate));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut handles = Vec::with_capacity(usize::try_from(total).unwrap());
    for _ in 0..total {
        interval.tick().await;
        let (h, u) = (http.clone(), url.clone());
        handles.push(tokio::spawn(async move {
            let t = Instant::now();
            let body: Value = h.get(&u).send().await.unwrap().json().await.unwrap();
            assert_eq!(body["cache"], "hit");
            t.elapsed()
        }));
    }
    let mut lat = Vec::with_capacity(handles.len());
    for h in handles {
        lat.push(h.await.unwrap());
    }
    lat.sort();
    println!(
        "rates cache hit at {rate} req/s ({} requests): p50 {:.2} ms, p99 {:.2} ms",
        lat.len(),
        percentile(&lat, 0.50).as_secs_f64() * 1e3,
        percentile(&lat, 0.99).as_secs_f64() * 1e3
    );

    drop_schema(&bare_schema).await;
    drop_schema(&api_schema).await;
}
