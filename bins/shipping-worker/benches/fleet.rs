//! End-to-end orders synced per second: real `shipping-worker` processes (1, then 2) on
//! Postgres (own schema) and Redis (own prefix) against the in-process simulator, without
//! faults. Printed beside the reference measured in the same run: the simulator's own
//! order-create rate through the client at the same concurrency (the ceiling our machinery —
//! outbox, relay, queue, intent records, audit, mails — is measured against).
//! `make bench`; needs Postgres on 5432 and Redis on 6379.
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::expect_used)]

#[path = "../tests/queue_support/mod.rs"]
mod queue_support;
#[path = "../tests/store_support/mod.rs"]
mod store_support;

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use shipping_store::entities::shipment;
use shiprocket_sim::{SimConfig, Simulator};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ORDERS: usize = 500;
const CONCURRENCY: usize = 8;

/// Orders synced per second with `workers` worker processes.
async fn synced_per_second(workers: usize) -> f64 {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let (store, store_config, schema) = store_support::fresh_store(store_support::Backend::Postgres).await;
    let prefix = format!("bench:fleet:{}:{workers}:", std::process::id());
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("worker.toml");
    let queue = format!("poll_interval_ms = 20\nshutdown_timeout_secs = 5\n[queue.concurrency]\nhigh = {CONCURRENCY}");
    let outbox = dir.path().join("outbox");
    let toml = store_support::worker_toml(&store_config, &sim.base_url(), &prefix, &outbox, 10_000, 50, &queue);
    std::fs::write(&config, toml).unwrap();
    let mut children: Vec<Child> = (0..workers)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_shipping-worker"))
                .env("SHIPPING_WORKER_CONFIG", &config)
                .env("RUST_LOG", "error")
                .stdout(Stdio::null())
                .spawn()
                .expect("the worker binary starts")
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(2)).await;

    let start = Instant::now();
    futures::future::join_all((0..ORDERS).map(|i| {
        let store = store.clone();
        async move { store_support::ingest(&store, &format!("B-{i}"), "560001", false).await }
    }))
    .await;
    let synced = |db: sea_orm::DatabaseConnection| async move {
        shipment::Entity::find().filter(shipment::Column::SyncStatus.eq("synced")).count(&db).await.unwrap()
    };
    while synced(store.db().clone()).await < ORDERS as u64 {
        assert!(start.elapsed() < Duration::from_secs(300), "the fleet did not finish");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let rate = ORDERS as f64 / start.elapsed().as_secs_f64();
    for c in &mut children {
        let _ = Command::new("kill").arg("-TERM").arg(c.id().to_string()).status();
    }
    for c in &mut children {
        let _ = c.wait();
    }
    queue_support::delete_keys(&prefix).await;
    store_support::drop_schema(&store, schema).await;
    rate
}

/// The reference: creates per second straight through the client, `CONCURRENCY` at a time.
async fn raw_creates_per_second() -> f64 {
    use futures::StreamExt;
    use shiprocket_client::endpoints::orders::{CreateOrder, OrderPayload};
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let mut config = shiprocket_client::ClientConfig::new(
        sim.base_url().parse().unwrap(),
        shiprocket_client::Credentials {
            email: "api-user@example-store.in".into(),
            password: shiprocket_client::Secret::new("sim"),
        },
    );
    config.requests_per_second = 10_000;
    config.rate_limit_burst = 10_000;
    let client = shiprocket_client::Client::new(config).unwrap();
    let fixture: OrderPayload = serde_json::from_slice(include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/shiprocket/order_create_adhoc_request.json"
    )))
    .unwrap();
    let payload =
        |i: usize| OrderPayload { order_id: format!("R-{i}"), billing_pincode: "560001".into(), ..fixture.clone() };
    let start = Instant::now();
    futures::stream::iter(0..ORDERS)
        .for_each_concurrent(CONCURRENCY, |i| {
            let client = client.clone();
            async move {
                client.send(&CreateOrder(payload(i))).await.unwrap();
            }
        })
        .await;
    ORDERS as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let reference = rt.block_on(raw_creates_per_second());
    println!(
        "simulator order create through the client, {CONCURRENCY} at a time (reference): {reference:>7.0} orders/s"
    );
    let mut one = None;
    for workers in [1, 2] {
        let rate = rt.block_on(synced_per_second(workers));
        let scaling = one.map(|o: f64| format!("  ×{:.2} of 1 process", rate / o)).unwrap_or_default();
        println!(
            "{ORDERS} paid orders → synced, {workers} worker process(es) ({CONCURRENCY} jobs each): {rate:>7.1} orders/s  ratio to reference {:.3}{scaling}",
            rate / reference
        );
        one.get_or_insert(rate);
    }
}
