//! `TestApp`: the API on port 0 with a store of its own (`shipping-test-support`: a SQLite file or
//! a Postgres schema from the migrated template, removed on drop even if the test panics) and the
//! Shiprocket simulator on port 0, called with reqwest. The cross-binary tests in `tests/` use
//! this same file (they add the worker); so it names nothing from `shipping-worker`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use shipping_api::config::Settings;
use shipping_api::state::AppState;
use shipping_store::entities::outbox;
use shipping_store::jobs::Job;
pub use shipping_test_support::Backend;
use shipping_test_support::TestDb;
use shiprocket_sim::{SimConfig, Simulator};
use std::collections::HashMap;

pub const API_KEY: &str = "test-api-key-1";
pub const OTHER_API_KEY: &str = "test-api-key-2";
pub const WEBHOOK_TOKEN: &str = "hook-token-123";
pub const ADMIN_USER: &str = "ops";
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";

/// A configuration file with one admin user (argon2 hash made once per test process).
fn admin_config_file() -> String {
    static FILE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    FILE.get_or_init(|| {
        let hash = shipping_api::password::hash(ADMIN_PASSWORD).unwrap();
        let dir = std::env::temp_dir().join("shipping-api-tests");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("admin-{}.toml", std::process::id()));
        std::fs::write(&path, format!("[[admin.users]]\nname = \"{ADMIN_USER}\"\npassword_hash = \"{hash}\"\n"))
            .unwrap();
        path.display().to_string()
    })
    .clone()
}

pub struct TestAppBuilder {
    backend: Backend,
    env: HashMap<String, String>,
}

impl TestAppBuilder {
    /// Sets a configuration variable as the environment would (`SHIPPING__…` or an alias).
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.insert(key.to_owned(), value.to_owned());
        self
    }

    pub async fn start(self) -> TestApp {
        // The simulator signs its webhooks with our token; tests point it at the app when they
        // want them (`sim.set_webhook_url`).
        let sim = Simulator::start(SimConfig { webhook_token: Some(WEBHOOK_TOKEN.to_owned()), ..SimConfig::default() })
            .await
            .unwrap();
        let mut env = HashMap::from([
            ("SHIPPING__SERVER__LISTEN".to_owned(), "127.0.0.1:0".to_owned()),
            ("SHIPPING__AUTH__API_KEYS".to_owned(), format!("{API_KEY},{OTHER_API_KEY}")),
            ("SHIPPING__SHIPROCKET__WEBHOOK_TOKEN".to_owned(), WEBHOOK_TOKEN.to_owned()),
            ("SHIPPING__SHIPROCKET__BASE_URL".to_owned(), sim.base_url()),
            ("SHIPPING__SHIPROCKET__EMAIL".to_owned(), "api@shop.example".to_owned()),
            ("SHIPPING__SHIPROCKET__PASSWORD".to_owned(), "sim-password".to_owned()),
            ("SHIPPING__SHIPROCKET__PICKUP_PINCODE".to_owned(), "110001".to_owned()),
            ("SHIPPING__RATES__UPSTREAM_TIMEOUT_MS".to_owned(), "3000".to_owned()),
            ("SHIPPING_CONFIG".to_owned(), admin_config_file()),
        ]);
        // The guard fails the test on jobs it leaves without saying so (`expect_jobs`).
        let db = TestDb::new(self.backend, "api").await.checking_jobs();
        env.insert("SHIPPING__DATABASE__URL".into(), db.config.url.clone());
        if let Some(schema) = db.schema() {
            env.insert("SHIPPING__DATABASE__SCHEMA".into(), schema.to_owned());
            env.insert("SHIPPING__DATABASE__MAX_CONNECTIONS".into(), "20".into());
        }
        env.extend(self.env);
        let settings = Settings::load_from(&env).unwrap();
        let state = shipping_api::build(settings).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let served = state.clone();
        tokio::spawn(async move {
            shipping_api::serve(listener, served, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        TestApp { base: format!("http://{addr}"), state, sim, http: reqwest::Client::new(), _shutdown: tx, db }
    }
}

pub struct TestApp {
    pub base: String,
    pub state: AppState,
    pub sim: Simulator,
    pub http: reqwest::Client,
    _shutdown: tokio::sync::oneshot::Sender<()>,
    /// Last: dropped after the server is told to stop.
    db: TestDb,
}

impl TestApp {
    pub fn on(backend: Backend) -> TestAppBuilder {
        TestAppBuilder { backend, env: HashMap::new() }
    }

    pub async fn start(backend: Backend) -> TestApp {
        TestApp::on(backend).start().await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        self.http.post(self.url(path)).bearer_auth(API_KEY).json(body).send().await.unwrap()
    }

    pub async fn put(&self, path: &str, body: &Value) -> reqwest::Response {
        self.http.put(self.url(path)).bearer_auth(API_KEY).json(body).send().await.unwrap()
    }

    pub async fn post_empty(&self, path: &str) -> reqwest::Response {
        self.http.post(self.url(path)).bearer_auth(API_KEY).send().await.unwrap()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).bearer_auth(API_KEY).send().await.unwrap()
    }

    pub async fn get_public(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.unwrap()
    }

    pub async fn count<E: EntityTrait>(&self) -> u64
    where
        E::Model: Sync,
    {
        E::find().count(self.state.store.db()).await.unwrap()
    }

    /// Every job promised so far, oldest first.
    pub async fn jobs(&self) -> Vec<Job> {
        outbox::Entity::find()
            .all(self.state.store.db())
            .await
            .unwrap()
            .iter()
            .map(|r| Job::from_payload(&r.payload).unwrap())
            .collect()
    }

    /// The simulator's serviceability call count.
    pub fn serviceability_calls(&self) -> u64 {
        self.sim.counters().calls.iter().filter(|(k, _)| k.contains("serviceability")).map(|(_, v)| *v).sum()
    }

    pub async fn metrics(&self) -> String {
        self.get_public("/metrics").await.text().await.unwrap()
    }

    /// This test leaves jobs in the outbox on purpose: the API promises them, and no worker runs
    /// here (the cross-binary tests in `tests/` run them).
    pub fn expect_jobs(&self) {
        self.db.expect_jobs();
    }

    /// This test dead-letters jobs on purpose.
    pub fn expect_dead_jobs(&self) {
        self.db.expect_dead_jobs();
    }

    /// Stops the server and closes the pools, then (on drop of the store) checks the jobs left
    /// and removes the store. Dropping the app does the same, also when the test panics.
    pub async fn cleanup(self) {
        let TestApp { state, db, _shutdown, .. } = self;
        drop(_shutdown);
        state.store.db().clone().close().await.ok();
        db.close().await;
    }
}

/// A valid COD order-paid event for `id` (₹998 collected: 2 × ₹499).
pub fn order(id: &str) -> Value {
    json!({
        "id": id,
        "placed_at": "2026-11-28T10:00:00Z",
        "items": [{"sku": "TSH-BLU-M", "name": "Cotton T-Shirt Blue M", "units": 2, "unit_price": 49900,
                   "tax_percent": 5.0, "hsn": "610910", "weight": 250}],
        "customer": {"email": "asha.rao@example.com", "phone": "+91 98765 43210"},
        "billing": {"first_name": "Asha", "last_name": "Rao", "line1": "12 MG Road, Indiranagar",
                    "city": "Bengaluru", "state": "Karnataka", "pincode": "560038"},
        "payment": {"method": "cod", "amount": 99800},
        "shipping_charges": 0
    })
}

/// `(method, path template, keyed)` of every operation in the document.
pub fn documented_operations() -> Vec<(String, String, bool)> {
    let doc = serde_json::to_value(shipping_api::openapi::document()).unwrap();
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let keyed = op.get("security").and_then(Value::as_array).is_some_and(|s| !s.is_empty());
            ops.push((method.clone(), path.clone(), keyed));
        }
    }
    ops
}

/// The edit body of `order(id)`: its editable fields as they are.
pub fn edit_of(id: &str) -> Value {
    let o = order(id);
    json!({"customer": o["customer"], "billing": o["billing"], "items": o["items"]})
}

/// Runs `check` (insta snapshot assertions) with what changes from run to run redacted: ids,
/// times, tokens and the links that carry them. Snapshots go beside the calling test file.
pub fn redacted<R>(check: impl FnOnce() -> R) -> R {
    let mut settings = insta::Settings::clone_current();
    for key in ["id", "order_id", "shipment_id", "return_id", "replacement_shipment_id"] {
        settings.add_redaction(&format!(".**.{key}"), "[id]");
    }
    for key in ["created_at", "updated_at", "at", "placed_at", "expires_at", "synced_at", "last_event_at"] {
        settings.add_redaction(&format!(".**.{key}"), "[time]");
    }
    for key in ["tracking_token", "token", "tracking_url", "tracking_page_url", "url", "next_cursor", "request_id"] {
        settings.add_redaction(&format!(".**.{key}"), "[token]");
    }
    settings.set_sort_maps(true);
    settings.bind(check)
}

/// Runs the async body once on SQLite and once on Postgres.
#[macro_export]
macro_rules! on_both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                ($body)($crate::support::Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                ($body)($crate::support::Backend::Postgres).await;
            }
        }
    };
}
