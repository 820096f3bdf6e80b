//! Crash at every step boundary (issue 15, ADR 0008): for each kill point of
//! `shipping_worker::failpoint::POINTS` a real `shipping-worker` process (Postgres schema, Redis
//! prefix of its own, the simulator) is started with that point armed and given the work that
//! reaches it — a paid order, a cancel, a webhook, a tracking poll — and SIGKILLs itself there,
//! right before or right after the step's commit. Then one clean worker runs with the reconciler
//! on short deadlines and the simulator's clock moved on: every shipment must end delivered (or
//! another end the courier decides), cancelled, or needing attention with a reason — none stuck
//! without one — and every shop order has exactly one Shiprocket order.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod queue_support;
mod store_support;

use shipping_store::entities::shipment;
use shipping_store::steps::state_of;
use shiprocket_sim::{SimConfig, Simulator};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use store_support::{Backend, drop_schema, fresh_store, unique};

/// A worker process, killed when dropped however the test ends.
struct Worker(Child);

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(config: &Path, logs: &Path, name: &str, failpoint: Option<&str>) -> Worker {
    let log = |kind: &str| std::fs::File::create(logs.join(format!("{name}.{kind}"))).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_shipping-worker"));
    cmd.env("SHIPPING_WORKER_CONFIG", config).env("RUST_LOG", "warn");
    if let Some(point) = failpoint {
        cmd.env("FAILPOINTS", format!("{point}=return"));
    }
    Worker(cmd.stdout(Stdio::from(log("out"))).stderr(Stdio::from(log("err"))).spawn().expect("the worker starts"))
}

fn tail(logs: &Path, name: &str) -> String {
    let text = std::fs::read_to_string(logs.join(format!("{name}.err"))).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(10)..].join("\n")
}

async fn shipments(store: &shipping_store::Store) -> Vec<shipment::Model> {
    use sea_orm::EntityTrait;
    shipment::Entity::find().all(store.db()).await.unwrap()
}

/// Settled: at an end, or waiting for a person with a reason.
fn settled(s: &shipment::Model) -> bool {
    state_of(s).unwrap().is_terminal() || s.attention_reason.is_some()
}

/// A webhook for a shipment with an AWB, stored as the API stores one (with its job).
async fn push_webhook(store: &shipping_store::Store, awb: &str, n: usize) {
    let ts = format!("15 01 2020 {:02}:{:02}:00", 10 + n / 60, n % 60);
    let payload = serde_json::json!({"awb": awb, "current_status": "IN TRANSIT", "current_status_id": 20,
        "shipment_status": "IN TRANSIT", "shipment_status_id": 18, "current_timestamp": ts, "scans": [
            {"date": "2020-01-15 10:00:00", "activity": "Reached hub", "location": "Pune Hub"}]})
    .to_string();
    let key = shiprocket_client::webhook::TrackingWebhook::parse(payload.as_bytes()).unwrap().dedupe_key();
    store.inbox_webhook_and_enqueue(&key, awb, &payload).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_at_every_step_boundary_leaves_no_shipment_stuck() {
    let sim = Simulator::start(SimConfig { seed: 5, ..SimConfig::default() }).await.unwrap();
    let (store, store_config, schema) = fresh_store(Backend::Postgres).await;
    let prefix = format!("test:{}:", unique("crash"));
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("worker.toml");
    let queue = "poll_interval_ms = 50\nheartbeat_interval_secs = 1\nmissed_heartbeats = 2\nmax_attempts = 30\n\
                 base_backoff_ms = 100\nmax_backoff_secs = 2\nshutdown_timeout_secs = 5";
    let toml = store_support::worker_toml(&store_config, &sim.base_url(), &prefix, &dir.path().join("outbox"), 500, 100, queue)
        .replace("auto_ship = false", "auto_ship = true\ntracking_refresh_secs = 3600\nwebhook_quiet_period_secs = 0")
        // The reconciler looks every second; every wait is overdue after two.
        + "\n[reconciler]\nevery_secs = 1\nstep_secs = 2\npickup_secs = 2\nsilent_secs = 2\ncancel_secs = 2\nmax_repromises = 5\n";
    std::fs::write(&config, toml).unwrap();

    let mut table = Vec::new();
    for (i, point) in shipping_worker::failpoint::POINTS.iter().enumerate() {
        let name = format!("kill-{i}");
        let mut worker = start(&config, dir.path(), &name, Some(point));
        let order = format!("K-{i}");
        let id = store_support::ingest(&store, &order, "560001", false).await;
        if point.starts_with("cancel_shipment") {
            store.request_cancel(id, "test").await.unwrap();
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut pushed = 0;
        let status = loop {
            if let Some(status) = worker.0.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "{point} was never reached\n{}", tail(dir.path(), &name));
            // What reaches the tracking points: news about parcels that have an AWB.
            if point.starts_with("apply_webhook") || point.starts_with("refresh_tracking") {
                let with_awb: Vec<_> =
                    shipments(&store).await.into_iter().filter_map(|s| s.awb.map(|a| (s.id, a))).collect();
                if let Some((sid, awb)) = with_awb.first() {
                    if point.starts_with("apply_webhook") {
                        push_webhook(&store, awb, pushed).await;
                    } else {
                        sim.advance(chrono::Duration::hours(5)).await;
                        let job = shipping_store::jobs::Job::RefreshTracking(shipping_store::jobs::ShipmentBatchV1 {
                            shipment_ids: vec![*sid],
                        });
                        store.enqueue(store.db(), &job).await.unwrap();
                    }
                    pushed += 1;
                }
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        };
        assert_eq!(status.signal(), Some(9), "{point}: the worker died of SIGKILL\n{}", tail(dir.path(), &name));
        assert!(
            std::fs::read_to_string(dir.path().join(format!("{name}.err")))
                .unwrap()
                .contains(&format!("failpoint {point}"))
        );
        drop(worker);
        eprintln!("killed at {point}");
        table.push((point, order));
    }

    // Restart: one clean worker; the parcels move on at the simulator.
    let name = "clean".to_owned();
    let _worker = start(&config, dir.path(), &name, None);
    let deadline = Instant::now() + Duration::from_secs(45);
    loop {
        sim.advance(chrono::Duration::hours(12)).await;
        let all = shipments(&store).await;
        let open: Vec<_> =
            all.iter().filter(|s| !settled(s)).map(|s| (s.channel_order_id.clone(), s.state.clone())).collect();
        if open.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "stuck without a reason: {open:?}\n{}", tail(dir.path(), &name));
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    let all = shipments(&store).await;
    eprintln!("\n{:<34} {:<8} {:<16} attention", "kill point", "ingested", "final state");
    for (point, order) in &table {
        let s = all
            .iter()
            .find(|s| s.channel_order_id == *order || s.channel_order_id.starts_with(&format!("{order}-R")))
            .unwrap();
        eprintln!("{point:<34} {order:<8} {:<16} {}", s.state, s.attention_reason.as_deref().unwrap_or("-"));
    }
    let created = sim.counters().orders_created;
    let twice: Vec<_> = created.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "a shop order created more than once at Shiprocket: {twice:?}");
    for s in &all {
        let notes = store.notifications(s.id).await.unwrap();
        let mut kinds: Vec<&str> = notes.iter().filter(|n| n.status == "sent").map(|n| n.kind.as_str()).collect();
        kinds.sort_unstable();
        let before = kinds.len();
        kinds.dedup();
        assert_eq!(before, kinds.len(), "each mail once");
        if s.cancel_requested_at.is_some() {
            assert!(kinds.iter().all(|k| *k == "cancelled"), "after a cancel only its notice is sent: {kinds:?}");
        }
    }
    drop(_worker);
    queue_support::delete_keys(&prefix).await;
    drop_schema(&store, schema).await;
}
