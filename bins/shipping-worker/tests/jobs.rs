//! The job chain against the simulator and a real store, run in-process from the outbox:
//! exactly-once sync under faults, validation failures and their retry, the cancelled-order
//! trap, and tracking.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Duration;
use sea_orm::{ConnectionTrait, Database};
use serde_json::json;
use shipping_store::{IngestOutcome, NewOrder, Store, StoreConfig};
use shipping_worker::context::{Context, Settings};
use shipping_worker::handler::Handler;
use shipping_worker::runner::{Drained, drain};
use shiprocket_client::{Client, ClientConfig, Credentials, Secret};
use shiprocket_sim::{CancelledOrderMode, DuplicateOrderMode, FaultKind, FaultRule, SimConfig, Simulator};
use std::sync::atomic::{AtomicU64, Ordering};

fn unique(tag: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "w_{tag}_{}_{}_{}",
        std::process::id(),
        chrono::Utc::now().timestamp_micros(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

struct Harness {
    sim: Simulator,
    ctx: Context,
    handler: Handler,
    schema: Option<String>,
    outbox_dir: std::path::PathBuf,
}

enum Backend {
    Sqlite,
    Postgres,
}

fn pg_url() -> String {
    std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

impl Harness {
    async fn start(backend: Backend, sim_config: SimConfig, settings: Settings) -> Harness {
        let sim = Simulator::start(sim_config).await.unwrap();
        let (config, schema) = match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join("shipping-worker-tests");
                std::fs::create_dir_all(&dir).unwrap();
                (StoreConfig::new(format!("sqlite://{}/{}.db?mode=rwc", dir.display(), unique("jobs"))), None)
            }
            Backend::Postgres => {
                let schema = unique("jobs").to_lowercase();
                let admin = Database::connect(pg_url()).await.unwrap();
                admin.execute_unprepared(&format!("CREATE SCHEMA \"{schema}\"")).await.unwrap();
                let mut c = StoreConfig::new(pg_url());
                c.schema = Some(schema.clone());
                (c, Some(schema))
            }
        };
        let store = Store::connect(&config).await.unwrap();
        store.migrate().await.unwrap();
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
        Harness { sim, handler: Handler { ctx: ctx.clone() }, ctx, schema, outbox_dir }
    }

    async fn ingest(&self, id: &str, pincode: &str, cod: bool) -> i64 {
        let payment = if cod { json!({"method": "cod", "amount": 99_800}) } else { json!({"method": "prepaid"}) };
        let order = json!({
            "id": id,
            "placed_at": "2025-01-14T05:50:00Z",
            "items": [{"sku": "TSH-BLU-M", "name": "Cotton T-Shirt Blue M", "units": 2, "unit_price": 49_900, "tax_percent": 5.0, "hsn": "610910"}],
            "customer": {"email": "asha.verma@example.com", "phone": "9800000001"},
            "billing": {"first_name": "Asha", "last_name": "Verma", "line1": "Flat 12, Lotus Apartments", "city": "Bengaluru", "state": "Karnataka", "pincode": pincode},
            "payment": payment,
        });
        let parsed: shipping_domain::ShopOrder = serde_json::from_value(order.clone()).expect("a valid shop order");
        let outcome = self
            .ctx
            .store
            .ingest_order(NewOrder {
                shop_order_id: id.into(),
                payload: serde_json::to_value(&parsed).unwrap(),
                payment_method: if cod { "cod".into() } else { "prepaid".into() },
                cod_amount_paise: if cod { 99_800 } else { 0 },
                total_paise: 99_800,
                items: vec![],
                channel_order_id: id.into(),
                tracking_token: unique("tok"),
                outbox_kind: "sync_order".into(),
                outbox_payload: json!({"type": "sync_order"}),
            })
            .await
            .unwrap();
        match outcome {
            IngestOutcome::Created { shipment_id, .. } => shipment_id,
            other => panic!("{other:?}"),
        }
    }

    async fn drain(&self, max_attempts: u32) -> Drained {
        drain(&self.ctx.store, &self.handler, max_attempts, 200).await.unwrap()
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
        if let Some(schema) = self.schema {
            self.ctx.store.db().clone().close().await.ok();
            let admin = Database::connect(pg_url()).await.unwrap();
            admin.execute_unprepared(&format!("DROP SCHEMA \"{schema}\" CASCADE")).await.unwrap();
        }
    }
}

#[tokio::test]
async fn paid_order_goes_to_awb_label_and_pickup() {
    let h = Harness::start(Backend::Sqlite, SimConfig::default(), Settings::default()).await;
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

async fn faults_make_exactly_one_order_each(backend: Backend, mode: DuplicateOrderMode) {
    let mut sim_config = SimConfig { seed: 11, ..SimConfig::default() };
    sim_config.modes.duplicate_order = mode;
    let h = Harness::start(backend, sim_config, Settings { auto_ship: false, ..Settings::default() }).await;
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

#[tokio::test]
async fn faults_and_lost_answers_still_make_one_order_each_return_existing() {
    faults_make_exactly_one_order_each(Backend::Sqlite, DuplicateOrderMode::ReturnExisting).await;
}

#[tokio::test]
async fn faults_and_lost_answers_still_make_one_order_each_reject_422() {
    faults_make_exactly_one_order_each(Backend::Sqlite, DuplicateOrderMode::Reject422).await;
}

#[tokio::test]
async fn faults_and_lost_answers_still_make_one_order_each_on_postgres() {
    faults_make_exactly_one_order_each(Backend::Postgres, DuplicateOrderMode::Reject422).await;
}

#[tokio::test]
async fn a_validation_error_is_not_retried_then_the_retry_cron_syncs_it_once_fixed() {
    let bad = Settings { pickup_location: "No Such WH".into(), auto_ship: false, ..Settings::default() };
    let mut h = Harness::start(Backend::Sqlite, SimConfig::default(), bad).await;
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

async fn cancelled_trap(mode: CancelledOrderMode) {
    let mut sim_config = SimConfig::default();
    sim_config.modes.cancelled_order = mode;
    let h = Harness::start(Backend::Sqlite, sim_config, Settings { auto_ship: false, ..Settings::default() }).await;
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
            &shipping_store::jobs::Job::SyncOrder(shipping_store::jobs::SyncOrderV1 {
                order_id: first.order_id,
                shipment_id: id,
            }),
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

#[tokio::test]
async fn a_cancelled_order_is_reshipped_under_a_new_recorded_id_when_create_says_422() {
    cancelled_trap(CancelledOrderMode::Reject422).await;
}

#[tokio::test]
async fn a_cancelled_order_is_reshipped_under_a_new_recorded_id_when_create_returns_it() {
    cancelled_trap(CancelledOrderMode::ReturnCancelled).await;
}

#[tokio::test]
async fn tracking_refresh_moves_shipments_and_notifies_once() {
    let h = Harness::start(Backend::Sqlite, SimConfig::default(), Settings::default()).await;
    let id = h.ingest("T-1", "560001", false).await;
    h.drain(5).await;
    h.sim.advance(Duration::hours(40)).await;

    assert_eq!(shipping_worker::jobs::tracking::plan_refresh(&h.ctx, 100).await.unwrap(), 1);
    h.drain(5).await;

    let s = h.shipment(id).await;
    assert_eq!(s.state, "delivered");
    let notes = h.ctx.store.notifications(id).await.unwrap();
    let kinds: Vec<&str> = notes.iter().map(|n| n.kind.as_str()).collect();
    assert_eq!(kinds, ["order_confirmed", "shipped", "out_for_delivery", "delivered"]);
    assert!(notes.iter().all(|n| n.status == "sent"));
    let emails = h.emails();
    assert_eq!(emails.len(), 4, "one e-mail per notification");
    assert!(emails.iter().any(|(_, m)| m.contains("has been delivered") && m.contains("To: asha.verma@example.com")));
    // The notify job delivered twice (at-least-once) still leaves one e-mail.
    let again = shipping_store::jobs::Job::SendNotification(shipping_store::jobs::SendNotificationV1 {
        notification_id: notes[3].id,
    });
    shipping_worker::jobs::dispatch(&h.ctx, &again, 2).await.unwrap();
    h.ctx.store.mark_notification(notes[3].id, Some("pretend the mark was lost")).await.unwrap();
    shipping_worker::jobs::dispatch(&h.ctx, &again, 3).await.unwrap();
    assert_eq!(h.emails().len(), 4, "a retried notify job rewrites the same file");
    assert_eq!(shipping_worker::jobs::tracking::plan_refresh(&h.ctx, 100).await.unwrap(), 0, "delivered is not polled");
    h.cleanup().await;
}

#[tokio::test]
async fn webhooks_apply_forward_only_and_duplicates_once() {
    let h = Harness::start(Backend::Sqlite, SimConfig::default(), Settings::default()).await;
    let id = h.ingest("H-1", "560001", false).await;
    h.drain(5).await;
    let awb = h.shipment(id).await.awb.unwrap();
    let hook = |status: &str, order_code: u32, shipment_code: u32, ts: &str| {
        json!({"awb": awb, "current_status": status, "current_status_id": order_code, "shipment_status": status,
               "shipment_status_id": shipment_code, "current_timestamp": ts, "order_id": "H-1", "scans": []})
        .to_string()
    };
    let deliver = |payload: String| {
        let store = h.ctx.store.clone();
        async move {
            let key = shiprocket_client::webhook::TrackingWebhook::parse(payload.as_bytes()).unwrap().dedupe_key();
            if let shipping_store::Once::New(inbox_id) = store.inbox_webhook(&key, "x", &payload).await.unwrap() {
                store
                    .enqueue(
                        store.db(),
                        &shipping_store::jobs::Job::ApplyWebhook(shipping_store::jobs::ApplyWebhookV1 { inbox_id }),
                    )
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
    assert_eq!(h.ctx.store.tracking_events(id).await.unwrap().len(), 2, "the duplicate is stored once");
    let kinds: Vec<String> = h.ctx.store.notifications(id).await.unwrap().into_iter().map(|n| n.kind).collect();
    assert_eq!(
        kinds,
        ["order_confirmed", "shipped", "out_for_delivery"],
        "past pickup, shipped is due too; the older event itself changed and notified nothing"
    );
    h.cleanup().await;
}

#[tokio::test]
async fn manifest_ndr_action_and_customer_return() {
    // The simulator's clock jumps; ours does not: poll whatever was polled before.
    let settings = Settings { webhook_quiet_period: std::time::Duration::ZERO, ..Settings::default() };
    let h = Harness::start(Backend::Sqlite, SimConfig::default(), settings).await;
    let delivered = h.ingest("M-1", "560001", false).await;
    let ndr = h.ingest("M-2", "560077", false).await;
    h.drain(5).await;

    // Manifest for both (pickups are scheduled).
    let enqueue = |job: shipping_store::jobs::Job| {
        let store = h.ctx.store.clone();
        async move { store.enqueue(store.db(), &job).await.unwrap() }
    };
    enqueue(shipping_store::jobs::Job::GenerateManifest(shipping_store::jobs::ShipmentBatchV1 {
        shipment_ids: vec![delivered, ndr],
    }))
    .await;
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
    enqueue(shipping_store::jobs::Job::NdrAction(shipping_store::jobs::NdrActionV1 { ndr_action_id: action })).await;
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
    enqueue(shipping_store::jobs::Job::CreateReturn(shipping_store::jobs::CreateReturnV1 { return_id: ret })).await;
    let drained = h.drain(5).await;
    assert!(drained.dead.is_empty(), "{drained:?}");
    assert_eq!(h.sim.counters().orders_created["M-1-RET"], 1);
    let sim_state = h.sim.state();
    let return_order =
        sim_state["orders"].as_array().unwrap().iter().find(|o| o["channel_order_id"] == "M-1-RET").unwrap().clone();
    assert_eq!(return_order["is_return"], true);
    h.cleanup().await;
}

#[tokio::test]
async fn cron_tasks_plan_and_clean() {
    let settings = Settings { webhook_quiet_period: std::time::Duration::ZERO, ..Settings::default() };
    let h = Harness::start(Backend::Sqlite, SimConfig::default(), settings).await;
    let id = h.ingest("CR-1", "560001", false).await;
    h.drain(5).await;
    h.sim.advance(Duration::hours(40)).await;
    let tick = |task| shipping_store::jobs::Job::Cron(shipping_store::jobs::CronV1 { task });

    shipping_worker::jobs::dispatch(&h.ctx, &tick(shipping_store::jobs::CronTask::RefreshTracking), 1).await.unwrap();
    h.drain(5).await;
    assert_eq!(h.shipment(id).await.state, "delivered");
    shipping_worker::jobs::dispatch(&h.ctx, &tick(shipping_store::jobs::CronTask::RetryFailedSyncs), 1).await.unwrap();
    shipping_worker::jobs::dispatch(&h.ctx, &tick(shipping_store::jobs::CronTask::Cleanup), 1).await.unwrap();
    assert_eq!(h.ctx.store.pending_outbox().await.unwrap(), 0, "nothing planned for a delivered shipment");
    h.cleanup().await;
}
