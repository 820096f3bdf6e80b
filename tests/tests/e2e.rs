//! End to end, through HTTP only: the simulator as Shiprocket, the API and a worker (apalis on
//! SQLite, zero-setup mode) in this process, one SQLite file. An order is paid, synced, gets an
//! AWB, a label and a pickup; the simulator's clock moves; webhooks arrive at the API; the
//! customer's tracking JSON shows the timeline; each e-mail is written once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Duration;
use serde_json::{Value, json};
use shiprocket_sim::{SimConfig, Simulator};
use std::collections::HashMap;
use std::time::Instant;

const KEY: &str = "e2e-key";
const HOOK_TOKEN: &str = "e2e-hook-token";

struct Stack {
    sim: Simulator,
    api: String,
    http: reqwest::Client,
    outbox: std::path::PathBuf,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Stack {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

async fn start() -> Stack {
    let dir = std::env::temp_dir().join(format!(
        "shipping-e2e-{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_micros()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}/shipping.db?mode=rwc", dir.display());
    let sim =
        Simulator::start(SimConfig { webhook_token: Some(HOOK_TOKEN.into()), ..SimConfig::default() }).await.unwrap();

    // The API, on port 0.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = format!("http://{}", listener.local_addr().unwrap());
    let env: HashMap<String, String> = [
        ("SHIPPING__SERVER__PUBLIC_BASE_URL", api.as_str()),
        ("SHIPPING__DATABASE__URL", db.as_str()),
        ("SHIPPING__SERVER__LISTEN", "127.0.0.1:0"),
        ("SHIPPING__AUTH__API_KEYS", KEY),
        ("SHIPPING__SHIPROCKET__BASE_URL", sim.base_url().as_str()),
        ("SHIPPING__SHIPROCKET__EMAIL", "api-user@example-store.in"),
        ("SHIPPING__SHIPROCKET__PASSWORD", "sim"),
        ("SHIPPING__SHIPROCKET__PICKUP_LOCATION", "Primary WH"),
        ("SHIPPING__SHIPROCKET__PICKUP_PINCODE", "411013"),
        ("SHIPPING__SHIPROCKET__WEBHOOK_TOKEN", HOOK_TOKEN),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let settings = shipping_api::config::Settings::load_from(&env).unwrap();
    let state = shipping_api::build(settings).await.unwrap();
    sim.set_webhook_url(Some(format!("{api}/webhooks/courier-updates")));
    let api_task = tokio::spawn(async move {
        shipping_api::serve(listener, state, std::future::pending()).await.unwrap();
    });

    // The worker, zero-setup: apalis on SQLite, e-mails as files.
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
    let worker_task = tokio::spawn(async move {
        if let Err(e) = shipping_worker::app::run(config).await {
            panic!("worker stopped: {e:#}");
        }
    });
    Stack { sim, api, http: reqwest::Client::new(), outbox: dir.join("outbox"), tasks: vec![api_task, worker_task] }
}

impl Stack {
    async fn post_order(&self, body: &Value) -> Value {
        let r = self.http.post(format!("{}/v1/orders", self.api)).bearer_auth(KEY).json(body).send().await.unwrap();
        assert_eq!(r.status(), 201, "{:?}", r.text().await);
        r.json().await.unwrap()
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
            assert!(Instant::now() < deadline, "{shop_order_id} never reached {state}: {s:#}");
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }

    fn emails(&self) -> Vec<String> {
        let mut subjects: Vec<String> = std::fs::read_dir(&self.outbox)
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                    .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                    .filter_map(|m| m.lines().find(|l| l.starts_with("Subject: ")).map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        subjects.sort();
        subjects
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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_paid_order_is_delivered_and_the_customer_sees_it() {
    let stack = start().await;
    let accepted = stack.post_order(&order("E2E-1", "560001", true)).await;

    let ready = stack.wait_for("E2E-1", "pickup_scheduled").await;
    assert!(ready["shipment"]["awb"].is_string());
    // The label and the pickup are separate jobs: the label may land just after the pickup.
    let deadline = Instant::now() + std::time::Duration::from_secs(30);
    let label = loop {
        let r = stack
            .http
            .get(format!("{}/v1/shipments/{}/label", stack.api, ready["shipment"]["id"]))
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

    // Out for delivery 34 simulated hours after pickup, delivered 4 hours later.
    stack.sim.advance(Duration::hours(35)).await;
    stack.wait_for("E2E-1", "out_for_delivery").await;
    stack.sim.advance(Duration::hours(5)).await;
    stack.wait_for("E2E-1", "delivered").await;

    let tracking: Value =
        stack.http.get(accepted["tracking_url"].as_str().unwrap()).send().await.unwrap().json().await.unwrap();
    let text = tracking.to_string();
    assert!(text.contains("DELIVERED") || text.contains("delivered"), "{tracking:#}");
    assert!(
        !text.contains("Asha") && !text.contains("9800000001") && !text.contains("Lotus"),
        "no customer data: {tracking:#}"
    );

    // Mails are jobs of their own (a failed send is retried with backoff): wait for all four.
    // Webhooks are applied concurrently, out of order; "shipped" must exist all the same.
    let wanted = ["is on its way", "has been delivered", "we have your order", "out for delivery"];
    let deadline = Instant::now() + std::time::Duration::from_secs(30);
    let mut emails = stack.emails();
    while !wanted.iter().all(|w| emails.iter().any(|s| s.contains(w))) {
        if Instant::now() >= deadline {
            panic!("missing e-mails: {emails:?}\n{:#}", stack.shipment("E2E-1").await);
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        emails = stack.emails();
    }
    // And none twice, even after the queues have settled.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let emails = stack.emails();
    for subject in wanted {
        assert_eq!(emails.iter().filter(|s| s.contains(subject)).count(), 1, "{subject}: {emails:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_ndr_resolved_by_a_reattempt_through_the_api() {
    let stack = start().await;
    stack.post_order(&order("E2E-NDR", "560077", false)).await;
    let ready = stack.wait_for("E2E-NDR", "pickup_scheduled").await;
    let id = ready["shipment"]["id"].as_i64().unwrap();

    // 560077 is the simulator's NDR lane: the first attempt fails 39 simulated hours after pickup.
    stack.sim.advance(Duration::hours(40)).await;
    stack.wait_for("E2E-NDR", "ndr").await;
    let action = stack
        .http
        .post(format!("{}/v1/shipments/{id}/ndr-action", stack.api))
        .bearer_auth(KEY)
        .json(&json!({"action": "re-attempt", "comments": "Customer is home tomorrow"}))
        .send()
        .await
        .unwrap();
    assert_eq!(action.status(), 202, "{:?}", action.text().await);
    // The worker sends the decision to Shiprocket; then the courier tries again.
    let deadline = Instant::now() + std::time::Duration::from_secs(30);
    while stack.sim.state()["shipments"][0]["ndr_open"] == true {
        assert!(Instant::now() < deadline, "the NDR action never reached Shiprocket");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    stack.sim.advance(Duration::hours(30)).await;
    let done = stack.wait_for("E2E-NDR", "delivered").await;

    let statuses: Vec<&str> =
        done["timeline"].as_array().unwrap().iter().filter_map(|t| t["status"].as_str()).collect();
    assert!(statuses.contains(&"UNDELIVERED") && statuses.last() == Some(&"DELIVERED"), "{statuses:?}");
}
