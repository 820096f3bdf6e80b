//! `TestApp`: the API on port 0 with a store of its own (a fresh SQLite file or a fresh
//! Postgres schema) and the Shiprocket simulator on port 0, called with reqwest.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use sea_orm::{ConnectionTrait, Database, EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use shipping_api::config::Settings;
use shipping_api::state::AppState;
use shipping_store::entities::outbox;
use shipping_store::jobs::Job;
use shiprocket_sim::{SimConfig, Simulator};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn postgres_url() -> String {
    std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn unique(tag: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "api_{tag}_{}_{}_{}",
        std::process::id(),
        chrono::Utc::now().timestamp_micros(),
        N.fetch_add(1, Ordering::Relaxed)
    )
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
        let tag = unique(match self.backend {
            Backend::Sqlite => "lite",
            Backend::Postgres => "pg",
        });
        let (schema, file) = match self.backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join("shipping-api-tests");
                std::fs::create_dir_all(&dir).unwrap();
                let file = dir.join(format!("{tag}.db"));
                env.insert("SHIPPING__DATABASE__URL".into(), format!("sqlite://{}?mode=rwc", file.display()));
                (None, Some(file))
            }
            Backend::Postgres => {
                let schema = tag.to_lowercase();
                let admin = Database::connect(postgres_url()).await.expect("Postgres at 127.0.0.1:5432");
                admin.execute_unprepared(&format!("CREATE SCHEMA \"{schema}\"")).await.unwrap();
                admin.close().await.unwrap();
                env.insert("SHIPPING__DATABASE__URL".into(), postgres_url());
                env.insert("SHIPPING__DATABASE__SCHEMA".into(), schema.clone());
                env.insert("SHIPPING__DATABASE__MAX_CONNECTIONS".into(), "20".into());
                (Some(schema), None)
            }
        };
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
        TestApp {
            base: format!("http://{addr}"),
            state,
            sim,
            http: reqwest::Client::new(),
            schema,
            file,
            _shutdown: tx,
        }
    }
}

pub struct TestApp {
    pub base: String,
    pub state: AppState,
    pub sim: Simulator,
    pub http: reqwest::Client,
    schema: Option<String>,
    file: Option<std::path::PathBuf>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
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

    pub async fn cleanup(self) {
        let TestApp { state, schema, file, _shutdown, .. } = self;
        drop(_shutdown);
        state.store.db().clone().close().await.ok();
        if let Some(schema) = schema {
            let admin = Database::connect(postgres_url()).await.unwrap();
            admin.execute_unprepared(&format!("DROP SCHEMA \"{schema}\" CASCADE")).await.unwrap();
            admin.close().await.ok();
        }
        if let Some(file) = file {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
        }
    }
}

/// The worker's job handler on the app's own store and the app's simulator.
pub fn worker(app: &TestApp, auto_ship: bool) -> shipping_worker::handler::Handler {
    use shiprocket_client::{Client, ClientConfig, Credentials, Secret};
    let mut config = ClientConfig::new(
        app.sim.base_url().parse().unwrap(),
        Credentials { email: "api@shop.example".into(), password: Secret::new("sim-password") },
    );
    config.requests_per_second = 1000;
    config.rate_limit_burst = 1000;
    let mail_dir = std::env::temp_dir().join("shipping-api-tests").join(format!("mail-{}", uuid::Uuid::new_v4()));
    let ctx = shipping_worker::context::Context {
        store: app.state.store.clone(),
        shiprocket: Client::new(config).unwrap(),
        http: reqwest::Client::new(),
        mailer: shipping_worker::mail::Mailer::Files(mail_dir),
        settings: shipping_worker::context::Settings { auto_ship, ..shipping_worker::context::Settings::default() },
        queues: None,
    };
    shipping_worker::handler::Handler { ctx }
}

pub async fn drain(app: &TestApp, handler: &shipping_worker::handler::Handler) {
    let drained = shipping_worker::runner::drain(&app.state.store, handler, 5, 200).await.unwrap();
    assert!(drained.dead.is_empty(), "{:?}", drained.dead);
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
