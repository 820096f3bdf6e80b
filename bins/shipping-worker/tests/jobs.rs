//! The job chain against the simulator and a real store: exactly-once sync under faults,
//! validation failures and their retry, the cancelled-order trap, tracking and notifications.
//! Every test runs twice: once with the jobs run in-process straight from the outbox
//! (`runner::drain`, deterministic), once through the embedded apalis queue on SQLite (the
//! outbox relay pushes, apalis workers call the same handler with our retry policy).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod store_support;

use chrono::Duration;
use futures::future::BoxFuture;
use sea_orm::ConnectionTrait;
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
            queues: None,
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
    store_support::update_shipment(&h.ctx.store, id, |a| {
        a.next_sync_at = sea_orm::ActiveValue::Set(Some(chrono::Utc::now() - Duration::minutes(1)));
    })
    .await;
    assert_eq!(shipping_worker::jobs::sync_order::retry_failed(&h.ctx, 10).await.unwrap(), 1);
    h.drain(5).await;
    assert_eq!(h.shipment(id).await.sync_status, "synced");
    assert_eq!(h.sim.counters().orders_created["V-1"], 1);
    h.cleanup().await;
}

on_both_runners!(a_refused_pickup_location_is_stored_with_its_class);
async fn a_refused_pickup_location_is_stored_with_its_class(runner: Runner) {
    let bad = Settings { pickup_location: "No Such WH".into(), auto_ship: false, ..Settings::default() };
    let h = Harness::start(runner, Backend::Sqlite, SimConfig::default(), bad).await;
    let id = h.ingest("V-2", "560001", false).await;

    let drained = h.drain(5).await;

    assert_eq!(drained.dead.len(), 1, "{drained:?}");
    let s = h.shipment(id).await;
    // Shiprocket named only the pickup location: our settings, not the order's data.
    let class = shipping_store::sync_error_class_of(&s);
    assert_eq!(class, Some(shipping_domain::SyncErrorClass::PickupLocation), "{:?}", s.sync_error);
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
    store_support::update_shipment(&h.ctx.store, id, |a| a.sync_status = sea_orm::ActiveValue::Set("pending".into()))
        .await;
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
        let scan_at = chrono::NaiveDateTime::parse_from_str(ts, "%d %m %Y %H:%M:%S").unwrap();
        let scan = json!({"date": scan_at.format("%Y-%m-%d %H:%M:%S").to_string(), "activity": format!("{status} scan"),
                          "location": "Bengaluru Hub"});
        json!({"awb": awb, "current_status": status, "current_status_id": order_code, "shipment_status": status,
               "shipment_status_id": shipment_code, "current_timestamp": ts, "order_id": "H-1", "scans": [scan],
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
    let events = h.ctx.store.tracking_events(id).await.unwrap();
    assert_eq!(events.len(), 2, "the duplicate is stored once");
    assert!(
        events.iter().all(|e| e.location.as_deref() == Some("Bengaluru Hub") && e.activity.is_some()),
        "webhook scans keep where and what: {events:?}"
    );
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
        store_support::update_shipment(&h.ctx.store, *id, |a| {
            a.last_webhook_at = sea_orm::ActiveValue::Set(Some(chrono::Utc::now() - Duration::minutes(10)));
        })
        .await;
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

/// The simulator's webhooks from `from` on (all of them were recorded, none was sent: the
/// tests have no URL), stored in the inbox with their `apply_webhook` jobs as the API does.
/// Returns how many there were.
async fn deliver_sim_webhooks(h: &Harness, from: usize, awb: Option<&str>) -> usize {
    let hooks = h.sim.webhooks();
    let mut n = 0;
    for record in hooks.iter().skip(from).filter(|r| awb.is_none_or(|a| r.awb == a)) {
        let payload = record.payload.to_string();
        let key = shiprocket_client::webhook::TrackingWebhook::parse(payload.as_bytes()).unwrap().dedupe_key();
        h.ctx.store.inbox_webhook_and_enqueue(&key, &record.awb, &payload).await.unwrap();
        n += 1;
    }
    n
}

/// A delivered shipment (by polls) whose customer asked for a return; the return's chain has
/// run to its pickup. Returns (shipment id, return id).
async fn delivered_with_a_return(h: &Harness, id: &str) -> (i64, i64) {
    delivered_then_returned(h, id, false, None).await
}

/// The same for a `cod` order and, when given, an exchange.
async fn delivered_then_returned(
    h: &Harness,
    id: &str,
    cod: bool,
    exchange: Option<shipping_store::ExchangeRequest>,
) -> (i64, i64) {
    let shipment = h.ingest(id, "560001", cod).await;
    assert!(h.drain(5).await.dead.is_empty());
    h.sim.advance(Duration::hours(40)).await;
    shipping_worker::jobs::tracking::plan_refresh(&h.ctx, 100).await.unwrap();
    h.drain(5).await;
    assert_eq!(h.shipment(shipment).await.state, "delivered");
    let shipping_store::Once::New(ret) = h
        .ctx
        .store
        .request_return_and_enqueue(shipment, &format!("{id}-RET"), "Size not as expected", exchange.as_ref(), "test")
        .await
        .unwrap()
    else {
        panic!("a new return")
    };
    let drained = h.drain(5).await;
    assert!(drained.dead.is_empty(), "{drained:?}");
    (shipment, ret)
}

/// The return's customer mails, by kind, and how many of each.
async fn return_mails(h: &Harness, shipment: i64) -> Vec<String> {
    let mut kinds: Vec<String> = h
        .ctx
        .store
        .notifications(shipment)
        .await
        .unwrap()
        .into_iter()
        .filter(|n| n.kind.starts_with("return_"))
        .map(|n| n.kind)
        .collect();
    kinds.sort();
    kinds
}

/// A return mail's kind by step: 0 pickup scheduled, 1 picked up, 2 delivered to the warehouse.
fn mail(ret: i64, step: usize) -> String {
    shipping_domain::ReturnMail::ALL[step].kind(ret)
}

fn all_return_mails(ret: i64) -> Vec<String> {
    let mut v: Vec<String> = shipping_domain::ReturnMail::ALL.iter().map(|m| m.kind(ret)).collect();
    v.sort();
    v
}

async fn return_runs_through_webhooks_only(runner: Runner, backend: Backend) {
    let h = Harness::start(runner, backend, SimConfig::default(), Settings::default()).await;
    let (shipment, ret) = delivered_with_a_return(&h, "RW-1").await;
    let r = h.ctx.store.return_request(ret).await.unwrap().unwrap();
    let awb = r.awb.clone().expect("the return's AWB");
    assert_eq!(r.status, "pickup_scheduled", "created, AWB assigned, and the pickup really scheduled");
    assert!(r.pickup_scheduled_at.is_some() && r.courier_name.is_some(), "{r:?}");
    assert_eq!(h.sim.counters().calls.get("courier/generate/pickup"), Some(&2), "the forward and the return pickup");
    assert_eq!(return_mails(&h, shipment).await, [mail(ret, 0)]);
    let polls_before = h.sim.counters().calls.get("courier/track/awbs").copied().unwrap_or(0);

    // Its lifecycle at the courier, told by webhooks only.
    let seen = h.sim.webhooks().len();
    h.sim.advance(Duration::hours(60)).await;
    assert_eq!(deliver_sim_webhooks(&h, 0, Some(&awb)).await, 4, "generated, picked up, in transit, delivered");
    let drained = h.drain(5).await;
    assert!(drained.dead.is_empty(), "{drained:?}");
    assert!(h.sim.webhooks().len() > seen);

    let r = h.ctx.store.return_request(ret).await.unwrap().unwrap();
    assert_eq!(r.status, "delivered_to_warehouse");
    assert!(r.last_webhook_at.is_some() && r.last_polled_at.is_none());
    assert_eq!(h.shipment(shipment).await.state, "return_delivered", "the shipment follows its return");
    let events = h.ctx.store.return_events(ret).await.unwrap();
    assert_eq!(events.len(), 4);
    assert!(events.iter().all(|e| e.return_id == Some(ret) && e.awb == awb && e.source == "webhook"));
    assert_eq!(h.ctx.store.tracking_events(shipment).await.unwrap().iter().filter(|e| e.awb == awb).count(), 0);
    assert_eq!(return_mails(&h, shipment).await, all_return_mails(ret), "each return mail once");
    let mails = h.emails();
    assert!(mails.iter().any(|(_, m)| m.contains("We have received your return for order RW-1")), "{mails:?}");
    assert_eq!(h.sim.counters().calls.get("courier/track/awbs").copied().unwrap_or(0), polls_before, "no poll");
    assert_eq!(shipping_worker::jobs::returns::plan_refresh(&h.ctx, 100).await.unwrap(), 0, "finished: not polled");
    h.cleanup().await;
}

on_both_runners!(a_return_runs_to_the_warehouse_through_webhooks_only);
async fn a_return_runs_to_the_warehouse_through_webhooks_only(runner: Runner) {
    return_runs_through_webhooks_only(runner, Backend::Sqlite).await;
}

on_both_runners!(a_return_runs_to_the_warehouse_through_webhooks_only_on_postgres);
async fn a_return_runs_to_the_warehouse_through_webhooks_only_on_postgres(runner: Runner) {
    return_runs_through_webhooks_only(runner, Backend::Postgres).await;
}

async fn return_runs_through_polls_only(runner: Runner, backend: Backend) {
    // The simulator's clock jumps; ours does not: poll whatever was polled before.
    let settings = Settings { webhook_quiet_period: std::time::Duration::ZERO, ..Settings::default() };
    let h = Harness::start(runner, backend, SimConfig::default(), settings).await;
    let (shipment, ret) = delivered_with_a_return(&h, "RP-1").await;

    // Picked up (6 h after the pickup was generated): the cron's refresh polls the return.
    h.sim.advance(Duration::hours(8)).await;
    let tick = Job::Cron(shipping_store::jobs::CronV1 { task: shipping_store::jobs::CronTask::RefreshTracking });
    shipping_worker::jobs::dispatch(&h.ctx, &tick, 1).await.unwrap();
    assert!(h.drain(5).await.dead.is_empty());
    let r = h.ctx.store.return_request(ret).await.unwrap().unwrap();
    assert_eq!(r.status, "picked_up");
    assert!(r.last_polled_at.is_some() && r.last_webhook_at.is_none());
    assert_eq!(h.shipment(shipment).await.state, "return_picked_up");
    assert_eq!(return_mails(&h, shipment).await, [mail(ret, 1), mail(ret, 0)], "sorted by kind");

    h.sim.advance(Duration::hours(60)).await;
    assert_eq!(shipping_worker::jobs::returns::plan_refresh(&h.ctx, 100).await.unwrap(), 1);
    assert!(h.drain(5).await.dead.is_empty());
    // Polled again: the same scans change nothing.
    shipping_worker::jobs::returns::plan_refresh(&h.ctx, 100).await.unwrap();
    h.drain(5).await;

    let r = h.ctx.store.return_request(ret).await.unwrap().unwrap();
    assert_eq!(r.status, "delivered_to_warehouse");
    assert_eq!(h.shipment(shipment).await.state, "return_delivered");
    let events = h.ctx.store.return_events(ret).await.unwrap();
    let labels: Vec<&str> = events.iter().map(|e| e.status_label.as_str()).collect();
    assert_eq!(labels, ["RETURN PICKUP GENERATED", "RETURN PICKED UP", "RETURN IN TRANSIT", "RETURN DELIVERED"]);
    assert!(events.iter().all(|e| e.source == "poll" && e.location.is_some() && e.activity.is_some()));
    assert_eq!(return_mails(&h, shipment).await, all_return_mails(ret), "each return mail once");
    let sent = h.ctx.store.notifications(shipment).await.unwrap();
    assert!(sent.iter().all(|n| n.status == "sent"), "{sent:?}");
    assert_eq!(shipping_worker::jobs::returns::plan_refresh(&h.ctx, 100).await.unwrap(), 0, "finished: not polled");
    h.cleanup().await;
}

on_both_runners!(a_return_runs_to_the_warehouse_through_polls_only);
async fn a_return_runs_to_the_warehouse_through_polls_only(runner: Runner) {
    return_runs_through_polls_only(runner, Backend::Sqlite).await;
}

on_both_runners!(a_return_runs_to_the_warehouse_through_polls_only_on_postgres);
async fn a_return_runs_to_the_warehouse_through_polls_only_on_postgres(runner: Runner) {
    return_runs_through_polls_only(runner, Backend::Postgres).await;
}

on_both_runners!(duplicated_and_reordered_return_webhooks_change_nothing);
async fn duplicated_and_reordered_return_webhooks_change_nothing(runner: Runner) {
    let h = Harness::start(runner, Backend::Sqlite, SimConfig::default(), Settings::default()).await;
    let (shipment, ret) = delivered_with_a_return(&h, "RD-1").await;
    let awb = h.ctx.store.return_request(ret).await.unwrap().unwrap().awb.unwrap();
    h.sim.advance(Duration::hours(60)).await;
    let mut hooks: Vec<_> = h.sim.webhooks().into_iter().filter(|r| r.awb == awb).collect();
    assert_eq!(hooks.len(), 4);

    // Delivered to the warehouse first, then the older scans; the delivered one twice.
    hooks.reverse();
    hooks.insert(1, hooks[0].clone());
    for record in &hooks {
        let payload = record.payload.to_string();
        let key = shiprocket_client::webhook::TrackingWebhook::parse(payload.as_bytes()).unwrap().dedupe_key();
        h.ctx.store.inbox_webhook_and_enqueue(&key, &record.awb, &payload).await.unwrap();
        assert!(h.drain(5).await.dead.is_empty());
        let r = h.ctx.store.return_request(ret).await.unwrap().unwrap();
        assert_eq!(r.status, "delivered_to_warehouse", "a late scan never moves the return back");
        assert_eq!(h.shipment(shipment).await.state, "return_delivered");
    }
    assert_eq!(h.ctx.store.return_events(ret).await.unwrap().len(), 4, "the duplicate is stored once");
    assert_eq!(return_mails(&h, shipment).await, all_return_mails(ret), "each return mail once, whatever the order");

    // The same scan again past the inbox (another payload spelling): the store's dedupe.
    let first = &hooks[0].payload;
    let hook = shiprocket_client::webhook::TrackingWebhook::parse(first.to_string().as_bytes()).unwrap();
    let status =
        shipping_domain::pick_status(hook.shipment_status_id, hook.current_status_id, hook.current_status.as_deref())
            .unwrap();
    let event = shipping_domain::TrackingEvent::new(
        Some(shipping_domain::Awb::parse(&awb).unwrap()),
        status,
        hook.current_timestamp.unwrap().with_timezone(&chrono::Utc),
    );
    let again = h
        .ctx
        .store
        .record_return_event(&event, "RETURN DELIVERED", None, None, shipping_store::EventSource::Webhook)
        .await
        .unwrap();
    assert_eq!(again.outcome, shipping_store::ReturnOutcome::Duplicate);
    assert_eq!((again.from, again.to), (again.to, shipping_domain::ReturnState::DeliveredToWarehouse));
    // A late forward poll (the shipment's own AWB) keeps the shipment with its return.
    h.sim.advance(Duration::hours(1)).await;
    shipping_worker::jobs::dispatch(
        &h.ctx,
        &Job::RefreshTracking(shipping_store::jobs::ShipmentBatchV1 { shipment_ids: vec![shipment] }),
        1,
    )
    .await
    .unwrap();
    assert_eq!(h.shipment(shipment).await.state, "return_delivered");
    h.cleanup().await;
}

/// Runs one cron task now, as its tick would.
async fn tick(h: &Harness, task: shipping_store::jobs::CronTask) {
    shipping_worker::jobs::dispatch(&h.ctx, &Job::Cron(shipping_store::jobs::CronV1 { task }), 1).await.unwrap();
}

/// Every cron task, `times` over: what a cancelled or flagged shipment must survive unchanged.
async fn every_cron(h: &Harness, times: usize) {
    use shipping_store::jobs::CronTask;
    for _ in 0..times {
        for task in [CronTask::RetryFailedSyncs, CronTask::RefreshTracking, CronTask::Reconcile, CronTask::Cleanup] {
            tick(h, task).await;
        }
        h.drain(3).await;
    }
}

on_both_runners!(a_cancel_during_a_retried_sync_leaves_no_live_order_and_only_the_cancellation_mail);
async fn a_cancel_during_a_retried_sync_leaves_no_live_order_and_only_the_cancellation_mail(runner: Runner) {
    let settings = Settings {
        reconcile: shipping_domain::ReconcileRules { step: std::time::Duration::ZERO, ..Default::default() },
        failed_sync_retry: std::time::Duration::ZERO,
        ..Settings::default()
    };
    let h = Harness::start(runner, Backend::Sqlite, SimConfig::default(), settings).await;
    let id = h.ingest("X-1", "560001", false).await;
    // Shiprocket creates the order and the answer is lost (503 to us): the sync will retry.
    h.sim.add_fault(FaultRule {
        endpoint: "orders/create/adhoc".into(),
        kind: FaultKind::CommitThenDrop,
        probability: 1.0,
        times: Some(1),
    });
    // …and the client's own retries inside the attempt meet 503s.
    h.sim.add_fault(FaultRule {
        endpoint: "orders/create/adhoc".into(),
        kind: FaultKind::Status { status: 503 },
        probability: 1.0,
        times: Some(8),
    });
    let first =
        Job::SyncOrder(shipping_store::jobs::SyncOrderV1 { order_id: h.shipment(id).await.order_id, shipment_id: id });
    assert!(matches!(h.handler.handle(first, 1).await, Err(JobFailure::Retry { .. })), "the create's answer was lost");
    assert_eq!(h.sim.counters().orders_created["X-1"], 1, "Shiprocket has a live order");
    h.sim.add_fault(FaultRule {
        endpoint: "*".into(),
        kind: FaultKind::Status { status: 503 },
        probability: 0.3,
        times: Some(6),
    });

    // The shop cancels while the sync is being retried.
    h.ctx.store.request_cancel(id, "test").await.unwrap();
    let drained = h.drain(10).await;
    assert!(drained.dead.is_empty(), "{drained:?}");
    every_cron(&h, 3).await;

    let s = h.shipment(id).await;
    assert_eq!(s.state, "cancelled");
    assert!(s.awb.is_none(), "no AWB after a cancel");
    assert!(s.attention_reason.is_none(), "{:?}", s.attention_message);
    assert!(h.ctx.store.latest_document(id, "label").await.unwrap().is_none(), "no label");
    let live: Vec<_> = h.sim.state()["orders"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["channel_order_id"] == "X-1" && o["status_code"] != 5)
        .cloned()
        .collect();
    assert!(live.is_empty(), "the order created before the cancel is cancelled at Shiprocket: {live:?}");
    assert_eq!(h.sim.counters().orders_created["X-1"], 1, "and never created again");
    let kinds: Vec<String> = h.ctx.store.notifications(id).await.unwrap().into_iter().map(|n| n.kind).collect();
    assert_eq!(kinds, ["cancelled"], "the customer gets only the cancellation notice");
    let mails = h.emails();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(mails[0].1.contains("has been cancelled") && mails[0].1.contains("/track/"), "{}", mails[0].1);
    h.cleanup().await;
}

on_both_runners!(an_unserviceable_pincode_needs_attention_not_serviceable);
async fn an_unserviceable_pincode_needs_attention_not_serviceable(runner: Runner) {
    let h = Harness::start(runner, Backend::Sqlite, SimConfig::default(), Settings::default()).await;
    let id = h.ingest("U-1", "900001", false).await;
    let drained = h.drain(5).await;
    assert!(drained.dead.is_empty(), "a person is needed, not a dead job: {drained:?}");
    let s = h.shipment(id).await;
    assert_eq!((s.state.as_str(), s.attention_reason.as_deref()), ("synced", Some("not_serviceable")));
    assert!(s.attention_message.unwrap().to_lowercase().contains("serviceable"));
    let filter = shipping_store::api_queries::ShipmentFilter {
        attention: Some(shipping_store::api_queries::AttentionFilter::Reason(
            shipping_domain::AttentionReason::NotServiceable,
        )),
        limit: 10,
        ..Default::default()
    };
    let listed = h.ctx.store.list_shipments(&filter).await.unwrap();
    assert_eq!(listed.iter().map(|r| r.shipment.id).collect::<Vec<_>>(), [id], "filterable");
    assert_eq!(h.ctx.store.dashboard_counts().await.unwrap().needs_attention, 1, "counted on the dashboard");
    every_cron(&h, 2).await;
    assert_eq!(h.shipment(id).await.attention_reason.as_deref(), Some("not_serviceable"), "crons leave it to a person");
    h.cleanup().await;
}

on_both_runners!(a_refused_sync_is_retried_up_to_the_cap_then_needs_attention);
async fn a_refused_sync_is_retried_up_to_the_cap_then_needs_attention(runner: Runner) {
    let bad = Settings {
        pickup_location: "No Such WH".into(),
        max_failed_syncs: 2,
        failed_sync_retry: std::time::Duration::ZERO,
        ..Settings::default()
    };
    let h = Harness::start(runner, Backend::Sqlite, SimConfig::default(), bad).await;
    let id = h.ingest("V-2", "560001", false).await;
    h.drain(5).await;
    let s = h.shipment(id).await;
    assert_eq!((s.state.as_str(), s.failed_syncs, s.attention_reason.as_deref()), ("sync_failed", 1, None));
    tick(&h, shipping_store::jobs::CronTask::RetryFailedSyncs).await;
    h.drain(5).await;
    let s = h.shipment(id).await;
    assert_eq!((s.failed_syncs, s.attention_reason.as_deref()), (2, Some("validation_error")), "capped");
    for _ in 0..3 {
        tick(&h, shipping_store::jobs::CronTask::RetryFailedSyncs).await;
        h.drain(5).await;
    }
    assert_eq!(h.sim.counters().calls.get("orders/create/adhoc"), Some(&2), "no retry after the cap");
    let kinds: Vec<String> = h.ctx.store.notifications(id).await.unwrap().into_iter().map(|n| n.kind).collect();
    assert_eq!(kinds, ["admin_sync_failed"], "the admin is told once");
    h.cleanup().await;
}

on_both_runners!(the_reconciler_repromises_a_lost_step_then_asks_a_person);
async fn the_reconciler_repromises_a_lost_step_then_asks_a_person(runner: Runner) {
    let rules =
        shipping_domain::ReconcileRules { step: std::time::Duration::ZERO, max_repromises: 2, ..Default::default() };
    let h = Harness::start(
        runner,
        Backend::Sqlite,
        SimConfig::default(),
        Settings { reconcile: rules, ..Settings::default() },
    )
    .await;
    // A promise lost (as a crash between a step and its job would lose it): no outbox row.
    let lost = h.ingest("L-1", "560001", false).await;
    let stuck = h.ingest("L-2", "560001", false).await;
    h.ctx.store.db().execute_unprepared("DELETE FROM outbox").await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;

    tick(&h, shipping_store::jobs::CronTask::Reconcile).await;
    // L-2's re-promised job is lost again, every time.
    let drop_stuck = format!("DELETE FROM outbox WHERE payload LIKE '%\"shipment_id\":{stuck}%'");
    h.ctx.store.db().execute_unprepared(&drop_stuck).await.unwrap();
    h.drain(5).await;
    assert_eq!(h.shipment(lost).await.state, "pickup_scheduled", "the re-promised sync ran the whole chain");
    for _ in 0..2 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        tick(&h, shipping_store::jobs::CronTask::Reconcile).await;
        h.ctx.store.db().execute_unprepared(&drop_stuck).await.unwrap();
    }
    let s = h.shipment(stuck).await;
    assert_eq!((s.state.as_str(), s.attention_reason.as_deref()), ("pending_sync", Some("stalled")), "{s:?}");
    let trail: Vec<String> =
        h.ctx.store.audit_trail("shipment", stuck).await.unwrap().into_iter().map(|a| a.action).collect();
    assert_eq!(trail, ["repromised", "repromised", "needs_attention"]);
    h.cleanup().await;
}

on_both_runners!(the_checkout_courier_is_booked_and_a_fallback_says_why);
async fn the_checkout_courier_is_booked_and_a_fallback_says_why(runner: Runner) {
    let h = Harness::start(runner, Backend::Sqlite, SimConfig::default(), Settings::default()).await;
    // Blue Dart (1) serves every lane but is the dearest: the customer picked it anyway.
    let picked = store_support::ingest_with_courier(&h.ctx.store, "Q-1", "560001", false, Some(1)).await;
    let gone = store_support::ingest_with_courier(&h.ctx.store, "Q-2", "560001", false, Some(999_999)).await;
    let drained = h.drain(5).await;
    assert!(drained.dead.is_empty(), "{drained:?}");
    let s = h.shipment(picked).await;
    assert_eq!((s.courier_id, s.courier_note.as_deref()), (Some(1), None), "the customer's courier is booked");
    let s = h.shipment(gone).await;
    assert!(s.awb.is_some() && s.courier_id != Some(999_999));
    assert!(s.courier_note.as_deref().unwrap().contains("picked at checkout (999999) no longer serves"), "{s:?}");
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

on_both_runners!(a_return_on_its_way_is_news_for_its_shipment_and_the_reconciler_polls_the_return);
async fn a_return_on_its_way_is_news_for_its_shipment_and_the_reconciler_polls_the_return(runner: Runner) {
    let settings = Settings { webhook_quiet_period: std::time::Duration::ZERO, ..Settings::default() };
    let h = Harness::start(runner, Backend::Sqlite, SimConfig::default(), settings).await;
    let (shipment, ret) = delivered_with_a_return(&h, "RN-1").await;
    h.sim.advance(Duration::hours(1)).await;
    shipping_worker::jobs::returns::plan_refresh(&h.ctx, 100).await.unwrap();
    h.drain(5).await;
    assert_eq!(h.shipment(shipment).await.state, "return_requested");

    // Long silent, flagged as possibly lost: the return's next scan is news for the shipment.
    let long_ago = chrono::Utc::now() - Duration::days(10);
    store_support::update_shipment(&h.ctx.store, shipment, |a| {
        a.waiting_since = sea_orm::ActiveValue::Set(Some(long_ago));
        a.attention_reason = sea_orm::ActiveValue::Set(Some("lost".into()));
    })
    .await;
    h.sim.advance(Duration::hours(7)).await; // the courier picks the return up
    shipping_worker::jobs::returns::plan_refresh(&h.ctx, 100).await.unwrap();
    h.drain(5).await;
    let s = h.shipment(shipment).await;
    assert_eq!((s.state.as_str(), s.attention_reason.as_deref()), ("return_picked_up", None), "{s:?}");
    assert!(s.waiting_since.unwrap() > long_ago + Duration::days(9), "the wait restarted");

    // Silent again past the deadline: the reconciler asks about the return's AWB.
    store_support::update_shipment(&h.ctx.store, shipment, |a| {
        a.waiting_since = sea_orm::ActiveValue::Set(Some(long_ago));
    })
    .await;
    h.sim.advance(Duration::hours(12)).await; // in transit back to the warehouse
    tick(&h, shipping_store::jobs::CronTask::Reconcile).await;
    h.drain(5).await;
    let trail: Vec<String> =
        h.ctx.store.audit_trail("shipment", shipment).await.unwrap().into_iter().map(|a| a.action).collect();
    assert_eq!(trail.last().map(String::as_str), Some("repromised"), "{trail:?}");
    assert_eq!(h.ctx.store.return_request(ret).await.unwrap().unwrap().status, "in_transit", "polled by its own AWB");
    h.cleanup().await;
}

/// A delivered COD shipment whose customer asked for an exchange (`ships`, the lines given as
/// JSON or the returned ones again). Returns (shipment id, return id).
async fn delivered_with_an_exchange(
    h: &Harness,
    id: &str,
    lines: Option<serde_json::Value>,
    ships: shipping_domain::ReplacementShips,
) -> (i64, i64) {
    let exchange = shipping_store::ExchangeRequest { lines: lines.map(|l| serde_json::from_value(l).unwrap()), ships };
    delivered_then_returned(h, id, true, Some(exchange)).await
}

/// Shipments of the order behind `shipment`, oldest first.
async fn parcels(h: &Harness, shipment: i64) -> Vec<shipping_store::entities::shipment::Model> {
    let order = h.shipment(shipment).await.order_id;
    h.ctx.store.shipments_of_order(order).await.unwrap()
}

fn creates(h: &Harness) -> u64 {
    h.sim.counters().calls.get("orders/create/adhoc").copied().unwrap_or(0)
}

async fn exchange_ships_on_pickup(runner: Runner, backend: Backend) {
    let h = Harness::start(runner, backend, SimConfig::default(), Settings::default()).await;
    let larger = json!([{"sku": "TSH-BLU-L", "name": "Cotton T-Shirt Blue L", "units": 2, "unit_price": 49_900}]);
    let (shipment, ret) =
        delivered_with_an_exchange(&h, "EX-1", Some(larger), shipping_domain::ReplacementShips::OnPickup).await;
    let r = h.ctx.store.return_request(ret).await.unwrap().unwrap();
    assert_eq!(r.status, "pickup_scheduled");
    assert_eq!(
        (r.replacement_shipment_id, parcels(&h, shipment).await.len()),
        (None, 1),
        "nothing ships before the pickup"
    );
    assert_eq!(creates(&h), 1);

    // The courier collects the return, reported by webhooks, each of them twice.
    h.sim.advance(Duration::hours(60)).await;
    let awb = r.awb.clone().unwrap();
    for _ in 0..2 {
        assert_eq!(deliver_sim_webhooks(&h, 0, Some(&awb)).await, 4);
        let drained = h.drain(5).await;
        assert!(drained.dead.is_empty(), "{drained:?}");
    }
    let r = h.ctx.store.return_request(ret).await.unwrap().unwrap();
    assert_eq!(r.status, "delivered_to_warehouse");
    let all = parcels(&h, shipment).await;
    assert_eq!(all.len(), 2, "one replacement however often the pickup is reported");
    let replacement = &all[1];
    assert_eq!(r.replacement_shipment_id, Some(replacement.id));
    assert_eq!(replacement.replacement_for_return_id, Some(ret));
    assert_eq!((replacement.channel_order_id.as_str(), replacement.exchange_number), ("EX-1-X1", 1));
    assert_ne!(replacement.tracking_token, all[0].tracking_token);
    // Created once at Shiprocket, prepaid, with the lines asked for; then booked like any parcel.
    assert_eq!(creates(&h), 2, "the order and its replacement, each once");
    let (sent, _) = h.sim.order_request("EX-1-X1").unwrap();
    assert_eq!(sent["payment_method"], "Prepaid", "the customer paid once, on delivery of the original");
    assert_eq!(sent["order_items"][0]["sku"], "TSH-BLU-L");
    assert_eq!(sent["order_items"].as_array().unwrap().len(), 1);
    assert_eq!(replacement.state, "pickup_scheduled", "{replacement:?}");
    assert!(replacement.awb.is_some() && replacement.awb != all[0].awb);
    let mails: Vec<String> =
        h.ctx.store.notifications(replacement.id).await.unwrap().into_iter().map(|n| n.kind).collect();
    assert!(mails.contains(&"order_confirmed".to_owned()), "{mails:?}");
    // The return's own mails stay on the original shipment, once each.
    assert_eq!(return_mails(&h, shipment).await, all_return_mails(ret));
    let trail: Vec<String> =
        h.ctx.store.audit_trail("shipment", shipment).await.unwrap().into_iter().map(|a| a.action).collect();
    assert_eq!(trail.iter().filter(|a| *a == "exchange_replacement").count(), 1, "{trail:?}");
    h.cleanup().await;
}

on_both_runners!(an_exchange_ships_its_replacement_once_when_the_return_is_picked_up);
async fn an_exchange_ships_its_replacement_once_when_the_return_is_picked_up(runner: Runner) {
    exchange_ships_on_pickup(runner, Backend::Sqlite).await;
}

on_both_runners!(an_exchange_ships_its_replacement_once_when_the_return_is_picked_up_on_postgres);
async fn an_exchange_ships_its_replacement_once_when_the_return_is_picked_up_on_postgres(runner: Runner) {
    exchange_ships_on_pickup(runner, Backend::Postgres).await;
}

on_both_runners!(an_exchange_set_to_ship_at_once_sends_the_same_lines_with_the_request);
async fn an_exchange_set_to_ship_at_once_sends_the_same_lines_with_the_request(runner: Runner) {
    let h = Harness::start(runner, Backend::Sqlite, SimConfig::default(), Settings::default()).await;
    let (shipment, ret) = delivered_with_an_exchange(&h, "EX-2", None, shipping_domain::ReplacementShips::AtOnce).await;
    let all = parcels(&h, shipment).await;
    assert_eq!(all.len(), 2);
    let r = h.ctx.store.return_request(ret).await.unwrap().unwrap();
    assert_eq!(r.replacement_shipment_id, Some(all[1].id));
    assert_eq!(r.status, "pickup_scheduled", "the return runs its own chain meanwhile");
    assert_eq!(all[1].state, "pickup_scheduled");
    let (original, _) = h.sim.order_request("EX-2").unwrap();
    let (sent, _) = h.sim.order_request("EX-2-X1").unwrap();
    assert_eq!(sent["order_items"], original["order_items"], "the returned lines again");
    assert_eq!((original["payment_method"].as_str(), sent["payment_method"].as_str()), (Some("COD"), Some("Prepaid")));
    // Its pickup later changes nothing more.
    h.sim.advance(Duration::hours(60)).await;
    deliver_sim_webhooks(&h, 0, r.awb.as_deref()).await;
    h.drain(5).await;
    assert_eq!((parcels(&h, shipment).await.len(), creates(&h)), (2, 2));
    h.cleanup().await;
}
