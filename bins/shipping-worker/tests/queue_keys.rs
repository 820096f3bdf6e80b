//! The queue stays bounded however many orders pass (issue 15): 2,000 paid orders through two
//! real `shipping-worker` processes on Redis (own prefix) and Postgres (own schema) against the
//! simulator, each order synced and its confirmation mailed (4,000 jobs). The cleanup cron
//! purges finished queue records; afterwards the prefix holds at most `MAX_KEYS` keys — the
//! queues' own structures, not a key per job.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod queue_support;
mod store_support;

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use shipping_store::entities::{notification, shipment};
use shiprocket_sim::{SimConfig, Simulator};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use store_support::{Backend, drop_schema, fresh_store, unique};

const ORDERS: usize = 2_000;
/// What the queues keep whatever the traffic: per queue its lists, sets and metadata, the
/// cron's schedule, the shared token.
const MAX_KEYS: usize = 40;

struct Workers(Vec<Child>);

impl Drop for Workers {
    fn drop(&mut self) {
        for w in &mut self.0 {
            let _ = w.kill();
            let _ = w.wait();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_orders_leave_a_bounded_number_of_queue_keys() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let (store, store_config, schema) = fresh_store(Backend::Postgres).await;
    let prefix = format!("test:{}:", unique("keys"));
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("worker.toml");
    let queue = "poll_interval_ms = 20\nmax_attempts = 10\nbase_backoff_ms = 50\nmax_backoff_secs = 1";
    let toml = store_support::worker_toml(
        &store_config,
        &sim.base_url(),
        &prefix,
        &dir.path().join("outbox"),
        5000,
        50,
        queue,
    )
    // Cleanup every 2 s, purging every finished record at once.
    .replace("auto_ship = false", "auto_ship = false\ncleanup_secs = 2\nqueue_keep_finished_secs = 0");
    std::fs::write(&config, toml).unwrap();
    let workers = Workers(
        (0..2)
            .map(|i| {
                let log = |kind: &str| std::fs::File::create(dir.path().join(format!("worker-{i}.{kind}"))).unwrap();
                Command::new(env!("CARGO_BIN_EXE_shipping-worker"))
                    .env("SHIPPING_WORKER_CONFIG", &config)
                    .env("RUST_LOG", "warn")
                    .stdout(Stdio::from(log("out")))
                    .stderr(Stdio::from(log("err")))
                    .spawn()
                    .expect("the worker starts")
            })
            .collect(),
    );

    for batch in (0..ORDERS).collect::<Vec<_>>().chunks(100) {
        futures::future::join_all(batch.iter().map(|i| {
            let store = store.clone();
            async move { store_support::ingest(&store, &format!("KQ-{i}"), "560001", false).await }
        }))
        .await;
    }
    let done = || async {
        let synced =
            shipment::Entity::find().filter(shipment::Column::SyncStatus.eq("synced")).count(store.db()).await.unwrap();
        let sent = notification::Entity::find()
            .filter(notification::Column::Status.eq("sent"))
            .count(store.db())
            .await
            .unwrap();
        (synced, sent)
    };
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let (synced, sent) = done().await;
        if synced == ORDERS as u64 && sent == ORDERS as u64 {
            break;
        }
        let err = std::fs::read_to_string(dir.path().join("worker-0.err")).unwrap_or_default();
        assert!(Instant::now() < deadline, "{synced} synced, {sent} mailed of {ORDERS}\n{err}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let at_end = queue_support::count_keys(&prefix).await;
    // The next cleanup ticks purge what finished last.
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut keys = at_end;
    while keys > MAX_KEYS && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
        keys = queue_support::count_keys(&prefix).await;
    }
    eprintln!("queue keys: {at_end} when the last job finished, {keys} after cleanup, for {ORDERS} orders");
    assert!(keys <= MAX_KEYS, "{keys} keys left under {prefix} for {ORDERS} orders");
    assert_eq!(sim.counters().orders_created.len(), ORDERS);

    drop(workers);
    queue_support::delete_keys(&prefix).await;
    drop_schema(&store, schema).await;
}
