//! The fleet, for real: three `shipping-worker` processes (the built binary) on the shared
//! Postgres (own schema) and Redis (own key prefix), the simulator injecting 20 % 5xx, some
//! 429s and "commit then drop the answer" on order create. 200 paid orders are ingested; one
//! worker is SIGKILLed mid-run. Every order must end synced, with exactly one Shiprocket order
//! each — once per duplicate-create mode of the simulator. The survivors then stop cleanly on
//! SIGTERM.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod queue_support;
mod store_support;

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use shipping_store::entities::shipment;
use shiprocket_sim::{DuplicateOrderMode, FaultKind, FaultRule, SimConfig, Simulator};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use store_support::{Backend, drop_schema, fresh_store, unique};

const ORDERS: usize = 200;

/// Worker processes, killed when the test ends however it ends.
struct Fleet {
    workers: Vec<Child>,
    logs: PathBuf,
}

impl Drop for Fleet {
    fn drop(&mut self) {
        for w in &mut self.workers {
            let _ = w.kill();
            let _ = w.wait();
        }
    }
}

impl Fleet {
    fn start(n: usize, config: &Path, logs: PathBuf) -> Fleet {
        let workers = (0..n)
            .map(|i| {
                let log = |kind: &str| std::fs::File::create(logs.join(format!("worker-{i}.{kind}"))).unwrap();
                Command::new(env!("CARGO_BIN_EXE_shipping-worker"))
                    .env("SHIPPING_WORKER_CONFIG", config)
                    .env("RUST_LOG", "warn")
                    .stdout(Stdio::from(log("out")))
                    .stderr(Stdio::from(log("err")))
                    .spawn()
                    .expect("the worker binary starts")
            })
            .collect();
        Fleet { workers, logs }
    }

    /// The last lines each worker wrote, for a failure message.
    fn tails(&self) -> String {
        let mut out = String::new();
        for i in 0..self.workers.len() {
            for kind in ["out", "err"] {
                let text = std::fs::read_to_string(self.logs.join(format!("worker-{i}.{kind}"))).unwrap_or_default();
                let lines: Vec<&str> = text.lines().collect();
                let tail = lines[lines.len().saturating_sub(8)..].join("\n");
                out.push_str(&format!("--- worker {i} std{kind}\n{tail}\n"));
            }
        }
        out
    }
}

async fn synced(db: &sea_orm::DatabaseConnection) -> u64 {
    shipment::Entity::find().filter(shipment::Column::SyncStatus.eq("synced")).count(db).await.unwrap()
}

async fn chaos_run(mode: DuplicateOrderMode) {
    let mut sim_config = SimConfig { seed: 23, ..SimConfig::default() };
    sim_config.modes.duplicate_order = mode;
    let sim = Simulator::start(sim_config).await.unwrap();
    sim.add_fault(FaultRule {
        endpoint: "*".into(),
        kind: FaultKind::Status { status: 503 },
        probability: 0.2,
        times: None,
    });
    sim.add_fault(FaultRule {
        endpoint: "*".into(),
        kind: FaultKind::RateLimited { retry_after_secs: Some(1) },
        probability: 0.03,
        times: None,
    });
    sim.add_fault(FaultRule {
        endpoint: "orders/create/adhoc".into(),
        kind: FaultKind::CommitThenDrop,
        probability: 0.25,
        times: None,
    });
    let (store, store_config, schema) = fresh_store(Backend::Postgres).await;
    let prefix = format!("test:{}:", unique("fleet"));
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("worker.toml");
    // Short queue timings: a killed worker's jobs come back within seconds.
    let queue = "poll_interval_ms = 50\nheartbeat_interval_secs = 1\nmissed_heartbeats = 2\nmax_attempts = 30\n\
                 base_backoff_ms = 100\nmax_backoff_secs = 2\nshutdown_timeout_secs = 5";
    let toml = store_support::worker_toml(
        &store_config,
        &sim.base_url(),
        &prefix,
        &dir.path().join("outbox"),
        500,
        100,
        queue,
    );
    std::fs::write(&config, toml).unwrap();
    let mut fleet = Fleet::start(3, &config, dir.path().to_owned());

    for i in 0..ORDERS {
        store_support::ingest(&store, &format!("FL-{i}"), "560001", false).await;
    }

    // SIGKILL one worker once the fleet is well into the run.
    let deadline = Instant::now() + Duration::from_secs(60);
    while synced(store.db()).await < 40 {
        assert!(Instant::now() < deadline, "the fleet never got going\n{}", fleet.tails());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    fleet.workers[0].kill().unwrap();
    fleet.workers[0].wait().unwrap();
    let at_kill = synced(store.db()).await;
    assert!(at_kill < ORDERS as u64, "the kill must land mid-run (already {at_kill} synced)");

    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        let n = synced(store.db()).await;
        if n == ORDERS as u64 {
            break;
        }
        let failed = shipment::Entity::find()
            .filter(shipment::Column::SyncStatus.eq("failed"))
            .all(store.db())
            .await
            .unwrap()
            .into_iter()
            .map(|s| (s.channel_order_id, s.sync_error))
            .collect::<Vec<_>>();
        assert!(failed.is_empty(), "syncs failed: {failed:?}");
        assert!(Instant::now() < deadline, "only {n} of {ORDERS} synced\n{}", fleet.tails());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let counters = sim.counters();
    assert_eq!(counters.orders_created.len(), ORDERS, "one Shiprocket order per shop order");
    let twice: Vec<_> = counters.orders_created.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "shop orders created more than once in Shiprocket: {twice:?}");
    assert!(counters.faults_injected > 50, "the faults really happened: {}", counters.faults_injected);
    let all = shipment::Entity::find().all(store.db()).await.unwrap();
    assert!(all.iter().all(|s| s.sr_order_id.is_some()), "every shipment knows its Shiprocket order");

    // The survivors stop cleanly on SIGTERM (the queue's graceful shutdown).
    for w in &mut fleet.workers[1..] {
        let status = Command::new("kill").arg("-TERM").arg(w.id().to_string()).status().unwrap();
        assert!(status.success());
    }
    for w in &mut fleet.workers[1..] {
        let started = Instant::now();
        loop {
            if let Some(status) = w.try_wait().unwrap() {
                assert!(status.success(), "a worker exited with {status} on SIGTERM");
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(15), "a worker ignored SIGTERM\n{}", fleet.tails());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    drop(fleet);
    queue_support::delete_keys(&prefix).await;
    drop_schema(&store, schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_with_a_killed_worker_makes_one_order_each_when_create_returns_the_existing_order() {
    chaos_run(DuplicateOrderMode::ReturnExisting).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_with_a_killed_worker_makes_one_order_each_when_create_rejects_the_duplicate() {
    chaos_run(DuplicateOrderMode::Reject422).await;
}
