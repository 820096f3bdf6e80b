//! The job chain against the simulator and a real store: exactly-once sync under faults,
//! validation failures and their retry, the cancelled-order trap, tracking and notifications.
//! Every test runs twice: once with the jobs run in-process straight from the outbox
//! (`runner::drain`, deterministic), once through the embedded apalis queue on SQLite (the
//! outbox relay pushes, apalis workers call the same handler with our retry policy).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod store_support;

use chrono::Duration;
use futures::future::BoxFuture;
use serde_json::json;
use shipping_store::jobs::Job;
use shipping_worker::context::{Context, Settings};
use shipping_worker::handler::Handler;
use shipping_worker::queue::{JobFailure, JobHandler, QueueBackend, QueueConfig, Queues};
use shipping_worker::relay::relay_once;
use shipping_worker::runner::{Drained, drain};
use shiprocket_client::{Client, ClientConfig, Credentials, Secret};
use shiprocket_sim::{CancelledOrderMode, DuplicateOrderMode, FaultKind, FaultRule, SimConfig, Simulator};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use store_support::{Backend, drop_schema, fresh_store, unique};

struct Harness {
    sim: Simulator,
    ctx: Context,
    handler: Handler,
    runner: Runner,
    schema: Option<String>,
    outbox_dir: std::path::PathBuf,
}

/// How a test's jobs run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Runner {
    /// `runner::drain`: in this task, straight from the outbox.
    Outbox,
    /// The outbox relay into apalis on a SQLite file, worked by the queue's workers.
    EmbeddedQueue,
}

/// Generates one test per runner from `async fn name(runner: Runner)`.
macro_rules! on_both_runners {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn outbox() {
                super::$name(super::Runner::Outbox).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn embedded_queue() {
                super::$name(super::Runner::EmbeddedQueue).await;
            }
        }
    };
}

/// The real handler, counted: the drain knows when nothing is running.
#[derive(Default)]
struct Counting {
    inner: Option<Handler>,
    in_flight: AtomicUsize,
    succeeded: AtomicUsize,
    dead: Mutex<Vec<(String, String)>>,
}

impl JobHandler for Counting {
    fn handle(&self, job: Job, attempt: u32) -> BoxFuture<'_, Result<(), JobFailure>> {
        Box::pin(async move {
            self.in_flight.fetch_add(1, Ordering::SeqCst);
            let outcome = self.inner.as_ref().unwrap().handle(job, attempt).await;
            if outcome.is_ok() {
                self.succeeded.fetch_add(1, Ordering::SeqCst);
            }
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            outcome
        })
    }

    fn dead(&self, job: Job, attempts: u32, error: String) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            self.dead.lock().unwrap().push((job.kind().to_owned(), error.clone()));
            self.inner.as_ref().unwrap().dead(job, attempts, error).await;
        })
    }
}

impl Harness {
    async fn start(runner: Runner, backend: Backend, sim_config: SimConfig, settings: Settings) -> Harness {
        let sim = Simulator::start(sim_config).await.unwrap();
        let (store, _, schema) = fresh_store(backend).await;
        let mut client_config = ClientConfig::new(
            sim.base_url().parse().unwrap(),
            Credentials { email: "api-user@example-store.in".into(), password: Secret::new("sim") },
        );
        client_config.requests_per_second = 1000;
        client_config.rate_limit_burst = 1000;
        // Keep the client's own server retries short: the queue retries too.
        client_config.retry.server.initial_delay_ms = 5;
        client_config.retry.server.max_delay_ms = 20;
        let outbox_dir = std::env::temp_dir().join("shipping-worker-tests").join(unique("mail"));
        let ctx = Context {
            store,
            shiprocket: Client::new(client_config).unwrap(),
            http: reqwest::Client::new(),
            mailer: shipping_worker::mail::Mailer::Files(outbox_dir.clone()),
            settings,
        };
        Harness { sim, handler: Handler { ctx: ctx.clone() }, ctx, runner, schema, outbox_dir }
    }

    async fn ingest(&self, id: &str, pincode: &str, cod: bool) -> i64 {
        store_support::ingest(&self.ctx.store, id, pincode, cod).await
    }

    /// Runs every waiting job and the jobs they enqueue until nothing is left.
    async fn drain(&self, max_attempts: u32) -> Drained {
        match self.runner {
            Runner::Outbox => drain(&self.ctx.store, &self.handler, max_attempts, 200).await.unwrap(),
            Runner::EmbeddedQueue => self.drain_through_queue(max_attempts).await,
        }
    }

    /// The same through apalis: the relay pushes outbox rows into a SQLite queue that the
    /// queue's workers run with the retry policy, until the outbox, the queue and the workers
    /// have been idle for a while. The workers are started per drain so that a test can change
    /// the handler's settings between drains.
    async fn drain_through_queue(&self, max_attempts: u32) -> Drained {
        let file = self.outbox_dir.with_extension("queue.db");
        let cfg = QueueConfig {
            backend: QueueBackend::Sqlite { url: format!("sqlite://{}", file.display()) },
            base_backoff_ms: 0,
            max_attempts,
            poll_interval_ms: 20,
            shutdown_timeout_secs: 5,
            ..QueueConfig::default()
        };
        let queues = Queues::connect(&cfg).await.unwrap();
        let counting = Arc::new(Counting { inner: Some(self.handler.clone()), ..Counting::default() });
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let workers = tokio::spawn({
            let (queues, handler) = (queues.clone(), counting.clone());
            let mut stopped = stopped.clone();
            async move {
                queues
                    .run(handler, async move {
                        let _ = stopped.wait_for(|s| *s).await;
                    })
                    .await
            }
        });
        let deadline = Instant::now() + std::time::Duration::from_secs(120);
        let mut quiet_checks = 0;
        while quiet_checks < 5 {
            let pushed = relay_once(&self.ctx.store, &queues, 500, std::time::Duration::ZERO).await.unwrap();
            let waiting: u64 = queues.depth().await.unwrap().iter().map(|d| d.total()).sum();
            let idle = pushed == 0
                && waiting == 0
                && counting.in_flight.load(Ordering::SeqCst) == 0
                && self.ctx.store.pending_outbox().await.unwrap() == 0;
            quiet_checks = if idle { quiet_checks + 1 } else { 0 };
            assert!(Instant::now() < deadline, "the queue never went idle ({waiting} waiting)");
            tokio::time::sleep(std::time::Duration::from_millis(40)).await;
        }
        stop.send(true).unwrap();
        workers.await.unwrap().unwrap();
        let dead = counting.dead.lock().unwrap().clone();
        Drained { succeeded: counting.succeeded.load(Ordering::SeqCst), dead, retrying: 0 }
    }

    async fn shipment(&self, id: i64) -> shipping_store::entities::shipment::Model {
        self.ctx.store.shipment(id).await.unwrap().unwrap()
    }

    /// The `.eml` files written so far, by file name.
    fn emails(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = std::fs::read_dir(&self.outbox_dir)
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                    .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read_to_string(e.path()).unwrap()))
                    .collect()
            })
            .unwrap_or_default();
        out.sort();
        out
    }

    async fn cleanup(self) {
        drop_schema(&self.ctx.store, self.schema).await;
    }
}

on_both_runners!(paid_order_goes_to_awb_label_and_pickup);
async fn paid_order_goes_to_awb_label_and_pickup(runner: Runner) {
    let h = Harness::start(runner, Backend::Sqlite, SimConfig::default(), Settings::default()).await;
    let id = h.ingest("W-1", "560001", true).await;

    let drained = h.drain(5).await;

    assert!(drained.dead.is_empty(), "{drained:?}");
    let s = h.shipment(id).await;
    assert_eq!((s.sync_status.as_str(), s.state.as_str()), ("synced", "pickup_scheduled"));
    assert!(s.awb.is_some() && s.courier_id.is_some() && s.sr_order_id.is_some());
    let label = h.ctx.store.latest_document(id, "label").await.unwrap().unwrap();
    assert!(label.content.starts_with(b"%PDF"));
    assert_eq!(h.sim.counters().orders_created["W-1"], 1);
    let sim_state = h.sim.state();
    assert_eq!(sim_state["shipments"][0]["status"], "PICKUP SCHEDULED");
    h.cleanup().await;
}

async fn faults_make_exactly_one_order_each(runner: Runner, backend: Backend, mode: DuplicateOrderMode) {
    let mut sim_config = SimConfig { seed: 11, ..SimConfig::default() };
    sim_config.modes.duplicate_order = mode;
    let h = Harness::start(runner, backend, sim_config, Settings { auto_ship: false, ..Settings::default() }).await;
    h.sim.add_fault(FaultRule {
        endpoint: "*".into(),
        kind: FaultKind::Status { status: 503 },
        probability: 0.2,
        times: None,
    });
    h.sim.add_fault(FaultRule {
        endpoint: "orders/create/adhoc".into(),
        kind: FaultKind::CommitThenDrop,
        probability: 0.3,
        times: None,
    });
    h.sim.add_fault(FaultRule {
        endpoint: "orders".into(),
        kind: FaultKind::RateLimited { retry_after_secs: Some(0) },
        probability: 0.1,
        times: None,
    });
    let ids: Vec<i64> = {
        let mut v = Vec::new();
        for i in 0..20 {
            v.push(h.ingest(&format!("F-{i}"), "560001", false).await);
        }
        v
    };

    let drained = h.drain(20).await;

    assert!(drained.dead.is_empty(), "{drained:?}");
    for id in ids {
        assert_eq!(h.shipment(id).await.sync_status, "synced");
    }
    let created = h.sim.counters().orders_created;
    assert_eq!(created.len(), 20);
    assert!(created.values().all(|n| *n == 1), "exactly one Shiprocket order per shop order: {created:?}");
    assert!(h.sim.counters().faults_injected > 5, "the faults really happened");
    h.cleanup().await;
}

on_both_runners!(faults_and_lost_answers_still_make_one_order_each_return_existing);
async fn faults_and_lost_answers_still_make_one_order_each_return_existing(runner: Runner) {
    faults_make_exactly_one_order_each(runner, Backend::Sqlite, DuplicateOrderMode::ReturnExisting).await;
}

on_both_runners!(faults_and_lost_answers_still_make_one_order_each_reject_422);
async fn faults_and_lost_answers_still_make_one_order_each_reject_422(runner: Runner) {
    faults_make_exactly_one_order_each(runner, Backend::Sqlite, DuplicateOrderMode::Reject422).await;
}

on_both_runners!(faults_and_lost_answers_still_make_one_order_each_on_postgres);
async fn faults_and_lost_answers_still_make_one_order_each_on_postgres(runner: Runner) {
    faults_make_exactly_one_order_each(runner, Backend::Postgres, DuplicateOrderMode::Reject422).await;
}

on_both_runners!(a_validation_error_is_not_retried_then_the_retry_cron_syncs_it_once_fixed);
async fn a_validation_error_is_not_retried_then_the_retry_cron_syncs_it_once_fixed(runner: Runner) {
    let bad = Settings { pickup_location: "No Such WH".into(), auto_ship: false, ..Settings::default() };
    let mut h = Harness::start(runner, Backend::Sqlite, SimConfig::default(), bad).await;
    let id = h.ingest("V-1", "560001", false).await;

    let drained = h.drain(5).await;

    assert_eq!(drained.dead.len(), 1, "{drained:?}");
    let s = h.shipment(id).await;
    assert_eq!((s.sync_status.as_str(), s.state.as_str(), s.sync_attempts), ("failed", "sync_failed", 1), "tried once");
    assert!(s.sync_error.unwrap().to_lowercase().contains("wrong pickup location"), "Shiprocket's message is kept");
    assert_eq!(h.sim.counters().calls.get("orders/create/adhoc"), Some(&1));
    assert_eq!(h.ctx.store.notifications(id).await.unwrap()[0].kind, "admin_sync_failed");
    let alert = h.emails();
    assert_eq!(alert.len(), 1, "the admin alert only; no confirmation for an order Shiprocket refused");
    assert!(
        alert[0].1.contains("To: ops@example-store.in")
            && alert[0].1.contains("Subject: [Example Store] Shiprocket refused order V-1"),
        "{}",
        alert[0].1
    );
    assert_eq!(h.ctx.store.dead_jobs().await.unwrap().len(), 1);

    // The data is fixed; the cron finds the failed sync once its retry time has come.
    h.ctx.settings.pickup_location = "Primary WH".into();
    h.handler.ctx.settings.pickup_location = "Primary WH".into();
    shipping_worker::progress::update(&h.ctx.store, id, |a| {
        a.next_sync_at = sea_orm::ActiveValue::Set(Some(chrono::Utc::now() - Duration::minutes(1)));
    })
    .await
    .unwrap();
    assert_eq!(shipping_worker::jobs::sync_order::retry_failed(&h.ctx, 10).await.unwrap(), 1);
    h.drain(5).await;
    assert_eq!(h.shipment(id).await.sync_status, "synced");
    assert_eq!(h.sim.counters().orders_created["V-1"], 1);
    h.cleanup().await;
}

async fn cancelled_trap(runner: Runner, mode: CancelledOrderMode) {
    let mut sim_config = SimConfig::default();
    sim_config.modes.cancelled_order = mode;
    let h =
        Harness::start(runner, Backend::Sqlite, sim_config, Settings { auto_ship: false, ..Settings::default() }).await;
    let id = h.ingest("C-1", "560001", false).await;
    h.drain(5).await;
    let first = h.shipment(id).await;
    // The order is cancelled in Shiprocket's panel; the shop asks us to ship it again.
    h.ctx
        .shiprocket
        .send(&shiprocket_client::endpoints::orders::CancelOrders { ids: vec![first.sr_order_id.unwrap() as u64] })
        .await
        .unwrap();
    shipping_worker::progress::update(&h.ctx.store, id, |a| {
        a.sync_status = sea_orm::ActiveValue::Set("pending".into())
    })
    .await
    .unwrap();
    h.ctx
        .store
        .enqueue(
            h.ctx.store.db(),
            &Job::SyncOrder(shipping_store::jobs::SyncOrderV1 { order_id: first.order_id, shipment_id: id }),
        )
        .await
        .unwrap();

    let drained = h.drain(5).await;

    assert!(drained.dead.is_empty(), "{drained:?}");
    let s = h.shipment(id).await;
    assert_eq!((s.channel_order_id.as_str(), s.reship_attempt, s.sync_status.as_str()), ("C-1-R1", 1, "synced"));
    assert_ne!(s.sr_order_id, first.sr_order_id);
    let created = h.sim.counters().orders_created;
    assert_eq!((created["C-1"], created["C-1-R1"]), (1, 1), "exactly one new Shiprocket order, under the new id");
    let trail = h.ctx.store.audit_trail("shipment", id).await.unwrap();
    assert!(trail.iter().any(|a| a.action == "reship" && a.details.contains("C-1-R1")), "the new id is recorded");
    h.cleanup().await;
}

on_both_runners!(a_cancelled_order_is_reshipped_under_a_new_recorded_id_when_create_says_422);
async fn a_cancelled_order_is_reshipped_under_a_new_recorded_id_when_create_says_422(runner: Runner) {
    cancelled_trap(runner, CancelledOrderMode::Reject422).await;
}

on_both_runners!(a_cancelled_order_is_reshipped_under_a_new_recorded_id_when_create_returns_it);
async fn a_cancelled_order_is_reshipped_under_a_new_recorded_id_when_create_returns_it(runner: Runner) {
    cancelled_trap(runner, CancelledOrderMode::ReturnCancelled).await;
}

on_both_runners!(tracking_refresh_moves_shipments_and_notifies_once);
async fn tracking_refresh_moves_shipments_and_notifies_once(runner: Runner) {
    let h = Harness::start(runner, Backend::Sqlite, SimConfig::default(), Settings::default()).await;
    let id = h.ingest("T-1", "560001", false).await;
    h.drain(5).await;
    h.sim.advance(Duration::hours(40)).await;

    assert_eq!(shipping_worker::jobs::tracking::plan_refresh(&h.ctx, 100).await.unwrap(), 1);
    h.drain(5).await;

    let s = h.shipment(id).await;
    assert_eq!(s.state, "delivered");
    // The milestones the dashboard reads, and the courier's estimate from the tracking answer.
    let (picked_up, delivered) = (s.picked_up_at.expect("picked up"), s.delivered_at.expect("delivered"));
    assert!(picked_up < delivered, "{picked_up} {delivered}");
    assert!(s.promised_delivery_at.is_some() && s.expected_delivery_at.is_some(), "{s:?}");
    let notes = h.ctx.store.notifications(id).await.unwrap();
    let kinds: Vec<&str> = notes.iter().map(|n| n.kind.as_str()).collect();
    assert_eq!(kinds, ["order_confirmed", "shipped", "out_for_delivery", "delivered"]);
    assert!(notes.iter().all(|n| n.status == "sent"));
    let emails = h.emails();
    assert_eq!(emails.len(), 4, "one e-mail per notification");
    assert!(emails.iter().any(|(_, m)| m.contains("has been delivered") && m.contains("To: asha.verma@example.com")));
    // The notify job delivered twice (at-least-once) still leaves one e-mail.
    let again = Job::SendNotification(shipping_store::jobs::SendNotificationV1 { notification_id: notes[3].id });
    shipping_worker::jobs::dispatch(&h.ctx, &again, 2).await.unwrap();
    h.ctx.store.mark_notification(notes[3].id, Some("pretend the mark was lost")).await.unwrap();
    shipping_worker::jobs::dispatch(&h.ctx, &again, 3).await.unwrap();
    assert_eq!(h.emails().len(), 4, "a retried notify job rewrites the same file");
    assert_eq!(shipping_worker::jobs::tracking::plan_refresh(&h.ctx, 100).await.unwrap(), 0, "delivered is not polled");
    h.cleanup().await;
}

on_both_runners!(webhooks_apply_forward_only_and_duplicates_once);
async fn webhooks_apply_forward_only_and_duplicates_once(runner: Runner) {
    let h = Harness::start(runner, Backend::Sqlite, SimConfig::default(), Settings::default()).await;
    let id = h.ingest("H-1", "560001", false).await;
    h.drain(5).await;
    let awb = h.shipment(id).await.awb.unwrap();
    let hook = |status: &str, order_code: u32, shipment_code: u32, ts: &str| {
        json!({"awb": awb, "current_status": status, "current_status_id": order_code, "shipment_status": status,
               "shipment_status_id": shipment_code, "current_timestamp": ts, "order_id": "H-1", "scans": [],
               "etd": "2030-01-17 23:59:59"})
        .to_string()
    };
    let deliver = |payload: String| {
        let store = h.ctx.store.clone();
        async move {
            let key = shiprocket_client::webhook::TrackingWebhook::parse(payload.as_bytes()).unwrap().dedupe_key();
            if let shipping_store::Once::New(inbox_id) = store.inbox_webhook(&key, "x", &payload).await.unwrap() {
                store
                    .enqueue(store.db(), &Job::ApplyWebhook(shipping_store::jobs::ApplyWebhookV1 { inbox_id }))
                    .await
                    .unwrap();
            }
        }
    };
    deliver(hook("OUT FOR DELIVERY", 19, 17, "16 01 2030 09:05:00")).await;
    deliver(hook("OUT FOR DELIVERY", 19, 17, "16 01 2030 09:05:00")).await; // duplicate
    deliver(hook("IN TRANSIT", 20, 18, "15 01 2030 22:40:12")).await; // older, arrives late
    h.drain(5).await;

    let s = h.shipment(id).await;
    assert_eq!(s.state, "out_for_delivery", "the late in-transit event did not move it back");
    // The webhook's etd is IST: 23:59:59 +05:30.
    let etd = chrono::DateTime::parse_from_rfc3339("2030-01-17T18:29:59Z").unwrap();
    assert_eq!((s.promised_delivery_at, s.expected_delivery_at), (Some(etd.into()), Some(etd.into())));
    assert_eq!(h.ctx.store.tracking_events(id).await.unwrap().len(), 2, "the duplicate is stored once");
    let kinds: Vec<String> = h.ctx.store.notifications(id).await.unwrap().into_iter().map(|n| n.kind).collect();
    assert_eq!(
        kinds,
        ["order_confirmed", "shipped", "out_for_delivery"],
        "past pickup, shipped is due too; the older event itself changed and notified nothing"
    );
    h.cleanup().await;
}

on_both_runners!(manifest_ndr_action_and_customer_return);
async fn manifest_ndr_action_and_customer_return(runner: Runner) {
    // The simulator's clock jumps; ours does not: poll whatever was polled before.
    let settings = Settings { webhook_quiet_period: std::time::Duration::ZERO, ..Settings::default() };
    let h = Harness::start(runner, Backend::Sqlite, SimConfig::default(), settings).await;
    let delivered = h.ingest("M-1", "560001", false).await;
    let ndr = h.ingest("M-2", "560077", false).await;
    h.drain(5).await;

    // Manifest for both (pickups are scheduled).
    let enqueue = |job: Job| {
        let store = h.ctx.store.clone();
        async move { store.enqueue(store.db(), &job).await.unwrap() }
    };
    enqueue(Job::GenerateManifest(shipping_store::jobs::ShipmentBatchV1 { shipment_ids: vec![delivered, ndr] })).await;
    assert!(h.drain(5).await.dead.is_empty());
    for id in [delivered, ndr] {
        assert!(h.ctx.store.latest_document(id, "manifest").await.unwrap().unwrap().content.starts_with(b"%PDF"));
    }

    // The NDR shipment fails delivery; the customer asks for a re-attempt.
    h.sim.advance(Duration::hours(40)).await;
    shipping_worker::jobs::tracking::plan_refresh(&h.ctx, 100).await.unwrap();
    h.drain(5).await;
    assert_eq!(h.shipment(ndr).await.state, "ndr");
    let action = h
        .ctx
        .store
        .request_ndr_action(ndr, "re-attempt", "Customer home tomorrow", None, None, None, "customer")
        .await
        .unwrap();
    enqueue(Job::NdrAction(shipping_store::jobs::NdrActionV1 { ndr_action_id: action })).await;
    assert!(h.drain(5).await.dead.is_empty());
    h.sim.advance(Duration::hours(30)).await;
    shipping_worker::jobs::tracking::plan_refresh(&h.ctx, 100).await.unwrap();
    h.drain(5).await;
    assert_eq!(h.shipment(ndr).await.state, "delivered", "re-attempted and delivered");
    assert_eq!(h.shipment(delivered).await.state, "delivered");

    // A customer return of the delivered order.
    let shipping_store::Once::New(ret) =
        h.ctx.store.request_return(delivered, "M-1-RET", "Size not as expected").await.unwrap()
    else {
        panic!()
    };
    enqueue(Job::CreateReturn(shipping_store::jobs::CreateReturnV1 { return_id: ret })).await;
    let drained = h.drain(5).await;
    assert!(drained.dead.is_empty(), "{drained:?}");
    assert_eq!(h.sim.counters().orders_created["M-1-RET"], 1);
    let sim_state = h.sim.state();
    let return_order =
        sim_state["orders"].as_array().unwrap().iter().find(|o| o["channel_order_id"] == "M-1-RET").unwrap().clone();
    assert_eq!(return_order["is_return"], true);
    h.cleanup().await;
}

on_both_runners!(cron_tasks_plan_and_clean);
async fn cron_tasks_plan_and_clean(runner: Runner) {
    let settings = Settings { webhook_quiet_period: std::time::Duration::ZERO, ..Settings::default() };
    let h = Harness::start(runner, Backend::Sqlite, SimConfig::default(), settings).await;
    let id = h.ingest("CR-1", "560001", false).await;
    h.drain(5).await;
    h.sim.advance(Duration::hours(40)).await;
    let tick = |task| Job::Cron(shipping_store::jobs::CronV1 { task });

    shipping_worker::jobs::dispatch(&h.ctx, &tick(shipping_store::jobs::CronTask::RefreshTracking), 1).await.unwrap();
    h.drain(5).await;
    assert_eq!(h.shipment(id).await.state, "delivered");
    shipping_worker::jobs::dispatch(&h.ctx, &tick(shipping_store::jobs::CronTask::RetryFailedSyncs), 1).await.unwrap();
    shipping_worker::jobs::dispatch(&h.ctx, &tick(shipping_store::jobs::CronTask::Cleanup), 1).await.unwrap();
    assert_eq!(h.ctx.store.pending_outbox().await.unwrap(), 0, "nothing planned for a delivered shipment");
    h.cleanup().await;
}

/// Runs the outbox's jobs `concurrency` at a time, as the queue's workers do, passing over the
/// kinds in `skip` (a test that only needs shipments picked up can leave labels and mails out).
async fn drain_concurrently(h: &Harness, concurrency: usize, skip: &[&str]) {
    use futures::StreamExt;
    loop {
        let batch = h.ctx.store.claim_outbox(500, std::time::Duration::from_secs(60)).await.unwrap();
        if batch.is_empty() {
            return;
        }
        futures::stream::iter(batch)
            .for_each_concurrent(concurrency, |row| async move {
                let job = Job::from_payload(&row.payload).unwrap();
                if !skip.contains(&job.kind()) {
                    h.handler.handle(job, 1).await.unwrap();
                }
                h.ctx.store.mark_dispatched(&[row.id]).await.unwrap();
            })
            .await;
    }
}

/// The 2-hourly refresh over 1,000 active shipments, half of which heard from a webhook
/// recently: only the other half is polled, 50 AWBs per call, and the polled ones move.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_polls_only_shipments_without_a_recent_webhook_in_batches() {
    let h = Harness::start(Runner::Outbox, Backend::Postgres, SimConfig::default(), Settings::default()).await;
    let ids: Vec<i64> = futures::future::join_all((0..1000).map(|i| {
        let store = h.ctx.store.clone();
        async move { store_support::ingest(&store, &format!("RF-{i}"), "560001", false).await }
    }))
    .await;
    drain_concurrently(&h, 16, &["generate_label", "send_notification"]).await;
    h.sim.advance(Duration::hours(5)).await; // picked up: every parcel has news
    // Even ids heard from a webhook ten minutes ago (inside the 2 h quiet period).
    let heard: Vec<i64> = ids.iter().copied().filter(|id| id % 2 == 0).collect();
    for id in &heard {
        shipping_worker::progress::update(&h.ctx.store, *id, |a| {
            a.last_webhook_at = sea_orm::ActiveValue::Set(Some(chrono::Utc::now() - Duration::minutes(10)));
        })
        .await
        .unwrap();
    }
    let before = h.sim.counters().calls.get("courier/track/awbs").copied().unwrap_or(0);

    let planned = shipping_worker::jobs::tracking::plan_refresh(&h.ctx, 5_000).await.unwrap();
    let refresh_jobs = h.ctx.store.pending_outbox().await.unwrap();
    drain_concurrently(&h, 16, &[]).await;

    assert_eq!(planned, 500, "only the shipments without a recent webhook are planned");
    assert_eq!(refresh_jobs, 10, "planned as batches of 50");
    let calls = h.sim.counters().calls.get("courier/track/awbs").copied().unwrap_or(0) - before;
    assert_eq!(calls, 10, "500 AWBs in batches of 50");
    for id in ids {
        let s = h.shipment(id).await;
        if heard.contains(&id) {
            assert!(s.last_polled_at.is_none(), "{id} had a recent webhook and was polled");
            assert_eq!(s.state, "pickup_scheduled");
        } else {
            assert!(s.last_polled_at.is_some(), "{id} was not polled");
            assert_eq!(s.state, "picked_up", "{id}: the poll's events were applied");
        }
    }
    h.cleanup().await;
}

/// A correction after the sync, stored as the API stores it (`Store::edit_order`), sent by the
/// real `update_order` job; sent again, it changes nothing; once booked, it is refused.
async fn update_order_is_idempotent_and_refused_once_booked(runner: Runner, backend: Backend) {
    use shipping_store::jobs::UpdateOrderV1;
    use shipping_store::{EditFollowUp, EditOutcome, OrderEditWrite};
    let h = Harness::start(runner, backend, SimConfig::default(), Settings { auto_ship: false, ..Settings::default() })
        .await;
    let id = h.ingest("UPD-W-1", "560001", false).await;
    assert!(h.drain(5).await.dead.is_empty());
    let s = h.shipment(id).await;
    assert_eq!(s.sync_status, "synced");
    let order = h.ctx.store.order(s.order_id).await.unwrap().unwrap();
    let stored: shipping_domain::ShopOrder = serde_json::from_str(&order.payload).unwrap();
    let mut edit = shipping_domain::OrderEdit::of(&stored);
    let mut moved = edit.billing.clone();
    moved.line1 = "42 Lake View Road, Bandra".into();
    moved.city = "Mumbai".into();
    moved.pincode = shipping_domain::Pincode::parse("400050").unwrap();
    edit.shipping = Some(moved);
    let corrected = edit.apply(&stored).unwrap();
    let write = OrderEditWrite {
        order_id: s.order_id,
        shipment_id: id,
        shipment_version: s.version,
        payload: serde_json::to_value(&corrected).unwrap(),
        items: vec![],
        follow_up: EditFollowUp::UpdateAtShiprocket,
        actor: "test".into(),
        changed: shipping_domain::changed_fields(&stored, &corrected),
    };
    assert_eq!(h.ctx.store.edit_order(&write).await.unwrap(), EditOutcome::Applied { job: Some("update_order") });
    assert!(h.drain(5).await.dead.is_empty());
    let calls = |h: &Harness, route: &str| h.sim.counters().calls.get(route).copied().unwrap_or(0);
    assert_eq!((calls(&h, "orders/update/adhoc"), calls(&h, "orders/address/update")), (1, 1));
    let after_first = h.sim.order_request("UPD-W-1").unwrap();
    assert_eq!(after_first.0["shipping_city"], "Mumbai");
    assert_eq!(after_first.1, "400050", "the shipment is delivered to the new pincode");

    // Delivered twice (at least once): the same order is sent again, and nothing changes.
    let job = Job::UpdateOrder(UpdateOrderV1 { order_id: s.order_id, shipment_id: id });
    h.ctx.store.enqueue(h.ctx.store.db(), &job).await.unwrap();
    assert!(h.drain(5).await.dead.is_empty());
    assert_eq!(calls(&h, "orders/update/adhoc"), 2);
    assert_eq!(h.sim.order_request("UPD-W-1").unwrap(), after_first, "the same order at Shiprocket");
    assert_eq!(h.sim.counters().orders_created["UPD-W-1"], 1);

    // Booked before a late update runs: not sent, recorded for the operator.
    let assign = Job::AssignAwb(shipping_store::jobs::ShipmentJobV1 { shipment_id: id, courier_id: None });
    h.ctx.store.enqueue(h.ctx.store.db(), &assign).await.unwrap();
    assert!(h.drain(5).await.dead.is_empty());
    assert!(h.shipment(id).await.awb.is_some());
    h.ctx.store.enqueue(h.ctx.store.db(), &job).await.unwrap();
    let drained = h.drain(5).await;
    assert_eq!(drained.dead.len(), 1, "{drained:?}");
    assert_eq!(calls(&h, "orders/update/adhoc"), 2, "not sent once an AWB exists");
    let audit = h.ctx.store.audit_trail("shipment", id).await.unwrap();
    assert!(audit.iter().any(|a| a.action == "shiprocket_update_refused"), "{audit:?}");
    assert!(audit.iter().any(|a| a.action == "shiprocket_order_updated"));
    h.cleanup().await;
}

on_both_runners!(update_order_on_sqlite);
async fn update_order_on_sqlite(runner: Runner) {
    update_order_is_idempotent_and_refused_once_booked(runner, Backend::Sqlite).await;
}

on_both_runners!(update_order_on_postgres);
async fn update_order_on_postgres(runner: Runner) {
    update_order_is_idempotent_and_refused_once_booked(runner, Backend::Postgres).await;
}
