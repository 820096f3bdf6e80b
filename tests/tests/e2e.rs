//! End to end, through HTTP only: the simulator as Shiprocket, the API, and the worker. Five
//! orders live one story on one simulated clock: a COD order delivered (label downloaded,
//! customer tracking, each e-mail once), an NDR resolved by a re-attempt, an RTO, a customer
//! return after delivery, and a cancellation before pickup.
//!
//! The story runs twice: in zero-setup mode (SQLite, the embedded apalis queue, one worker in
//! this process) and in production mode (Postgres in a schema of its own, Redis queues under a
//! prefix of their own, two `shipping-worker` processes).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Duration;
use serde_json::{Value, json};
use shipping_test_support::{RedisPrefix, TestDb};
use shiprocket_sim::{SimConfig, Simulator};
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

const KEY: &str = "e2e-key";
const HOOK_TOKEN: &str = "e2e-hook-token";
const PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
const REDIS_URL: &str = "redis://127.0.0.1:6379";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    ZeroSetup,
    Production,
}

struct Stack {
    sim: Simulator,
    api: String,
    http: reqwest::Client,
    dir: PathBuf,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    workers: Vec<Child>,
    /// Production mode: the Postgres schema and the Redis prefix, removed when the stack drops
    /// (after the workers are killed).
    _db: Option<TestDb>,
    _redis: Option<RedisPrefix>,
}

impl Drop for Stack {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
        for w in &mut self.workers {
            let _ = w.kill();
            let _ = w.wait();
        }
    }
}

/// The `shipping-worker` binary beside this test's (`cargo nextest run --workspace` builds it
/// for the worker's own tests).
fn worker_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().and_then(|deps| deps.parent()).unwrap().join("shipping-worker");
    assert!(bin.exists(), "{} is missing: build it first (`cargo build -p shipping-worker`)", bin.display());
    bin
}

fn unique(tag: &str) -> String {
    format!("{tag}_{}_{}", std::process::id(), chrono::Utc::now().timestamp_micros())
}

async fn start(mode: Mode) -> Stack {
    let dir = std::env::temp_dir().join(unique("shipping-e2e"));
    std::fs::create_dir_all(&dir).unwrap();
    let sim =
        Simulator::start(SimConfig { webhook_token: Some(HOOK_TOKEN.into()), ..SimConfig::default() }).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = format!("http://{}", listener.local_addr().unwrap());
    let (db, redis) = match mode {
        Mode::ZeroSetup => (None, None),
        Mode::Production => (Some(TestDb::postgres_unmigrated("e2e").await), Some(RedisPrefix::new("e2e"))),
    };
    let schema = db.as_ref().and_then(|db| db.schema()).map(str::to_owned);
    let prefix = redis.as_ref().map(|redis| redis.prefix.clone());
    let db_url = match mode {
        Mode::ZeroSetup => format!("sqlite://{}/shipping.db?mode=rwc", dir.display()),
        Mode::Production => PG_URL.to_owned(),
    };
    let mut stack = Stack {
        sim,
        api: api.clone(),
        http: reqwest::Client::new(),
        dir: dir.clone(),
        tasks: Vec::new(),
        workers: Vec::new(),
        _db: db,
        _redis: redis,
    };

    // The API, in this process, on port 0 (it migrates the database on start).
    let mut env: HashMap<String, String> = [
        ("SHIPPING__SERVER__PUBLIC_BASE_URL", api.as_str()),
        ("SHIPPING__DATABASE__URL", db_url.as_str()),
        ("SHIPPING__SERVER__LISTEN", "127.0.0.1:0"),
        ("SHIPPING__AUTH__API_KEYS", KEY),
        ("SHIPPING__SHIPROCKET__BASE_URL", stack.sim.base_url().as_str()),
        ("SHIPPING__SHIPROCKET__EMAIL", "api-user@example-store.in"),
        ("SHIPPING__SHIPROCKET__PASSWORD", "sim"),
        ("SHIPPING__SHIPROCKET__PICKUP_LOCATION", "Primary WH"),
        ("SHIPPING__SHIPROCKET__PICKUP_PINCODE", "411013"),
        ("SHIPPING__SHIPROCKET__WEBHOOK_TOKEN", HOOK_TOKEN),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    if let (Some(schema), Some(prefix)) = (&schema, &prefix) {
        env.insert("SHIPPING__DATABASE__SCHEMA".into(), schema.clone());
        env.insert("SHIPPING__REDIS__URL".into(), REDIS_URL.into());
        env.insert("SHIPPING__REDIS__KEY_PREFIX".into(), prefix.clone());
    }
    let settings = shipping_api::config::Settings::load_from(&env).unwrap();
    let state = shipping_api::build(settings).await.unwrap();
    stack.sim.set_webhook_url(Some(format!("{api}/webhooks/courier-updates")));
    stack.tasks.push(tokio::spawn(async move {
        shipping_api::serve(listener, state, std::future::pending()).await.unwrap();
    }));

    match mode {
        // One worker in this process: apalis on SQLite, e-mails as files.
        Mode::ZeroSetup => {
            let mut config = shipping_worker::settings::WorkerConfig::default();
            config.database.url = db_url;
            config.shiprocket.base_url = stack.sim.base_url();
            config.shiprocket.email = "api-user@example-store.in".into();
            config.shiprocket.password = shiprocket_client::Secret::new("sim");
            config.shiprocket.requests_per_second = 100;
            config.mail.dir = dir.join("outbox").display().to_string();
            config.shop.public_base_url = api;
            config.worker.relay_interval_ms = 100;
            config.worker.metrics_listen = "127.0.0.1:0".into();
            config.queue.backend =
                shipping_worker::queue::QueueBackend::Sqlite { url: format!("sqlite://{}/queue.db", dir.display()) };
            config.queue.poll_interval_ms = 100;
            stack.tasks.push(tokio::spawn(async move {
                if let Err(e) = shipping_worker::app::run(config).await {
                    panic!("worker stopped: {e:#}");
                }
            }));
        }
        // Two worker processes on Postgres and Redis, configured by a file as in production.
        Mode::Production => {
            let config = dir.join("worker.toml");
            std::fs::write(
                &config,
                format!(
                    r#"
[database]
url = "{PG_URL}"
schema = "{schema}"
max_connections = 8
[shiprocket]
base_url = "{sim}"
email = "api-user@example-store.in"
password = "sim"
requests_per_second = 100
token_redis_url = "{REDIS_URL}"
token_key_prefix = "{prefix}"
[worker]
relay_interval_ms = 100
metrics_listen = "127.0.0.1:0"
[mail]
dir = "{outbox}"
[shop]
public_base_url = "{api}"
[queue]
poll_interval_ms = 100
[queue.backend]
kind = "redis"
url = "{REDIS_URL}"
namespace_prefix = "{prefix}"
"#,
                    schema = schema.unwrap(),
                    prefix = prefix.unwrap(),
                    sim = stack.sim.base_url(),
                    outbox = dir.join("outbox").display(),
                ),
            )
            .unwrap();
            let bin = worker_binary();
            for i in 0..2 {
                let log = |kind: &str| std::fs::File::create(dir.join(format!("worker-{i}.{kind}"))).unwrap();
                let child = Command::new(&bin)
                    .env("SHIPPING_WORKER_CONFIG", &config)
                    .env("RUST_LOG", "warn")
                    .stdout(Stdio::from(log("out")))
                    .stderr(Stdio::from(log("err")))
                    .spawn()
                    .unwrap();
                stack.workers.push(child);
            }
        }
    }
    stack
}

impl Stack {
    async fn post_order(&self, body: &Value) -> Value {
        let r = self.http.post(format!("{}/v1/orders", self.api)).bearer_auth(KEY).json(body).send().await.unwrap();
        assert_eq!(r.status(), 201, "{:?}", r.text().await);
        r.json().await.unwrap()
    }

    async fn action(&self, shipment_id: i64, action: &str, body: Value) {
        let r = self
            .http
            .post(format!("{}/v1/shipments/{shipment_id}/{action}", self.api))
            .bearer_auth(KEY)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202, "{action}: {:?}", r.text().await);
    }

    async fn shipment(&self, shop_order_id: &str) -> Value {
        let r = self
            .http
            .get(format!("{}/v1/orders/{shop_order_id}/shipment", self.api))
            .bearer_auth(KEY)
            .send()
            .await
            .unwrap();
        r.json().await.unwrap()
    }

    /// Waits (real time) until the shipment reaches `state`.
    async fn wait_for(&self, shop_order_id: &str, state: &str) -> Value {
        let deadline = Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let s = self.shipment(shop_order_id).await;
            if s["shipment"]["state"] == state {
                return s;
            }
            if Instant::now() >= deadline {
                let awb = s["shipment"]["awb"].as_str().unwrap_or_default().to_owned();
                let hooks: Vec<String> = self
                    .sim
                    .webhooks()
                    .into_iter()
                    .filter(|h| h.awb == awb)
                    .map(|h| format!("{} → {:?}", h.payload["current_status"], h.response_status))
                    .collect();
                panic!(
                    "{shop_order_id} never reached {state}: {s:#}\nwebhooks sent: {hooks:?}\n{}",
                    self.worker_logs()
                );
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }

    /// Waits until the simulator's view satisfies `ok`.
    async fn wait_for_sim(&self, what: &str, ok: impl Fn(&Value) -> bool) {
        let deadline = Instant::now() + std::time::Duration::from_secs(30);
        while !ok(&self.sim.state()) {
            assert!(Instant::now() < deadline, "{what} never happened at Shiprocket: {:#}", self.sim.state());
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }

    /// Subjects of the e-mails written so far that mention `order`.
    fn emails(&self, order: &str) -> Vec<String> {
        let mut subjects: Vec<String> = std::fs::read_dir(self.dir.join("outbox"))
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                    .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                    .filter_map(|m| m.lines().find(|l| l.starts_with("Subject: ")).map(str::to_owned))
                    .filter(|s| s.contains(&format!("order {order} ")) || s.ends_with(&format!("order {order}")))
                    .collect()
            })
            .unwrap_or_default();
        subjects.sort();
        subjects
    }

    fn worker_logs(&self) -> String {
        (0..self.workers.len())
            .map(|i| {
                let text = std::fs::read_to_string(self.dir.join(format!("worker-{i}.err"))).unwrap_or_default();
                let lines: Vec<&str> = text.lines().collect();
                format!("--- worker {i}\n{}", lines[lines.len().saturating_sub(10)..].join("\n"))
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn order(id: &str, pincode: &str, cod: bool) -> Value {
    let mut o: Value = serde_json::from_slice(
        &std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/examples/order-paid.json")).unwrap(),
    )
    .unwrap();
    o["id"] = json!(id);
    o["billing"]["pincode"] = json!(pincode);
    if !cod {
        o["payment"] = json!({"method": "prepaid"});
    }
    o
}

fn shipment_id(s: &Value) -> i64 {
    s["shipment"]["id"].as_i64().unwrap()
}

fn sim_shipment<'a>(state: &'a Value, awb: &Value) -> Option<&'a Value> {
    state["shipments"].as_array()?.iter().find(|s| &s["awb"] == awb)
}

fn statuses(s: &Value) -> Vec<String> {
    s["timeline"].as_array().unwrap().iter().filter_map(|t| t["status"].as_str().map(str::to_owned)).collect()
}

/// The whole story. Every step waits for the product to catch up before the clock moves on, so
/// the order of events is the same in both modes.
async fn the_story(mode: Mode) {
    let stack = start(mode).await;
    // 560001 delivers; …77 fails once (NDR); …88 returns to origin (RTO).
    let cod = stack.post_order(&order("E2E-COD", "560001", true)).await;
    stack.post_order(&order("E2E-NDR", "560077", false)).await;
    stack.post_order(&order("E2E-RTO", "560088", false)).await;
    stack.post_order(&order("E2E-RET", "560001", false)).await;
    stack.post_order(&order("E2E-CAN", "560001", false)).await;
    let ready = stack.wait_for("E2E-COD", "pickup_scheduled").await;
    assert!(ready["shipment"]["awb"].is_string());
    for id in ["E2E-NDR", "E2E-RTO", "E2E-RET", "E2E-CAN"] {
        stack.wait_for(id, "pickup_scheduled").await;
    }

    // The COD order's label: a signed link to a real PDF (the label job may land just after
    // the pickup job).
    let deadline = Instant::now() + std::time::Duration::from_secs(30);
    let label = loop {
        let r = stack
            .http
            .get(format!("{}/v1/shipments/{}/label", stack.api, shipment_id(&ready)))
            .bearer_auth(KEY)
            .send()
            .await
            .unwrap();
        if r.status() == 200 {
            break r;
        }
        assert!(Instant::now() < deadline, "no label link: {}", r.status());
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    let link: Value = label.json().await.unwrap();
    let url = link["url"].as_str().or(link["label_url"].as_str()).unwrap().to_owned();
    let pdf = stack.http.get(&url).send().await.unwrap().bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF"), "the label PDF is downloadable");

    // Cancelled before pickup: ours and Shiprocket's agree.
    let cancel = stack.shipment("E2E-CAN").await;
    stack.action(shipment_id(&cancel), "cancel", json!({})).await;
    stack.wait_for("E2E-CAN", "cancelled").await;
    let awb = cancel["shipment"]["awb"].clone();
    stack
        .wait_for_sim("the cancellation", |st| {
            sim_shipment(st, &awb).is_some_and(|s| s["status"].as_str().unwrap_or_default().contains("CANCEL"))
        })
        .await;

    // Out for delivery 34 simulated hours after pickup, delivered (or not) 4–5 hours later.
    stack.sim.advance(Duration::hours(35)).await;
    stack.wait_for("E2E-COD", "out_for_delivery").await;
    stack.sim.advance(Duration::hours(5)).await;
    stack.wait_for("E2E-COD", "delivered").await;
    let delivered = stack.wait_for("E2E-RET", "delivered").await;
    let ndr = stack.wait_for("E2E-NDR", "ndr").await;

    // NDR: the shop asks for a re-attempt; the worker tells Shiprocket.
    stack
        .action(
            shipment_id(&ndr),
            "ndr-action",
            json!({"action": "re-attempt", "comments": "Customer is home tomorrow"}),
        )
        .await;
    let ndr_awb = ndr["shipment"]["awb"].clone();
    stack.wait_for_sim("the NDR action", |st| sim_shipment(st, &ndr_awb).is_some_and(|s| s["ndr_open"] == false)).await;

    // Customer return of a delivered order: a return order at Shiprocket, once.
    stack.action(shipment_id(&delivered), "return", json!({"reason": "Size not as expected"})).await;
    stack
        .wait_for_sim("the return order", |st| {
            st["orders"]
                .as_array()
                .unwrap()
                .iter()
                .any(|o| o["channel_order_id"] == "RET-E2E-RET" && o["is_return"] == true)
        })
        .await;
    let sim_orders = stack.sim.counters().orders_created;
    assert_eq!(sim_orders.get("RET-E2E-RET"), Some(&1), "{sim_orders:?}");

    // A day later the re-attempt is delivered; days later the RTO parcel is back home.
    stack.sim.advance(Duration::hours(30)).await;
    let reattempted = stack.wait_for("E2E-NDR", "delivered").await;
    let timeline = statuses(&reattempted);
    assert!(timeline.iter().any(|s| s == "UNDELIVERED") && timeline.last().unwrap() == "DELIVERED", "{timeline:?}");
    stack.sim.advance(Duration::hours(100)).await;
    let rto = stack.wait_for("E2E-RTO", "rto_delivered").await;
    assert!(statuses(&rto).iter().any(|s| s.contains("RTO")), "{:?}", statuses(&rto));

    // The customer's tracking JSON: the timeline, and nothing personal.
    let tracking: Value =
        stack.http.get(cod["tracking_url"].as_str().unwrap()).send().await.unwrap().json().await.unwrap();
    let text = tracking.to_string();
    assert!(text.contains("DELIVERED") || text.contains("delivered"), "{tracking:#}");
    assert!(
        !text.contains("Asha") && !text.contains("9800000001") && !text.contains("Lotus"),
        "no customer data: {tracking:#}"
    );

    // The page the customer is given shows the same timeline, in HTML.
    let page = stack.http.get(cod["tracking_page_url"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("<html lang=") && html.to_lowercase().contains("delivered"), "{html}");
    assert!(!html.contains("Asha") && !html.contains("9800000001"), "no customer data on the page");

    // Every customer e-mail of the COD order, each exactly once (mails are jobs of their own,
    // applied concurrently and out of order: wait for them, then check none came twice).
    let wanted = ["we have your order", "is on its way", "is out for delivery", "has been delivered"];
    let deadline = Instant::now() + std::time::Duration::from_secs(30);
    let mut emails = stack.emails("E2E-COD");
    while !wanted.iter().all(|w| emails.iter().any(|s| s.contains(w))) {
        assert!(Instant::now() < deadline, "missing e-mails: {emails:?}\n{:#}", stack.shipment("E2E-COD").await);
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        emails = stack.emails("E2E-COD");
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let emails = stack.emails("E2E-COD");
    for subject in wanted {
        assert_eq!(emails.iter().filter(|s| s.contains(subject)).count(), 1, "{subject}: {emails:?}");
    }
    assert!(stack.emails("E2E-NDR").iter().any(|s| s.contains("could not deliver")), "the NDR mail");
    assert!(!stack.emails("E2E-CAN").iter().any(|s| s.contains("on its way")), "a cancelled order never ships");

    // Each shop order is exactly one Shiprocket order.
    let created = stack.sim.counters().orders_created;
    for id in ["E2E-COD", "E2E-NDR", "E2E-RTO", "E2E-RET", "E2E-CAN"] {
        assert_eq!(created.get(id), Some(&1), "{id}: {created:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_whole_story_in_zero_setup_mode() {
    the_story(Mode::ZeroSetup).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_whole_story_in_production_mode_with_two_worker_processes() {
    the_story(Mode::Production).await;
}
