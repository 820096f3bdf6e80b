//! Shared by the tests that need a real store: unique names, a per-test Postgres schema or
//! SQLite file, and a paid shop order as the API would ingest it.
#![allow(dead_code, clippy::unwrap_used)]

use sea_orm::{ConnectionTrait, Database};
use serde_json::json;
use shipping_store::{IngestOutcome, NewOrder, Store, StoreConfig};
use std::sync::atomic::{AtomicU64, Ordering};

pub fn unique(tag: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "w_{tag}_{}_{}_{}",
        std::process::id(),
        chrono::Utc::now().timestamp_micros(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

pub fn pg_url() -> String {
    std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A migrated store of its own: a new SQLite file, or a new schema in the shared Postgres.
/// Returns the config (to hand to other processes) and the schema to drop afterwards.
pub async fn fresh_store(backend: Backend) -> (Store, StoreConfig, Option<String>) {
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
    (store, config, schema)
}

pub async fn drop_schema(store: &Store, schema: Option<String>) {
    if let Some(schema) = schema {
        store.db().clone().close().await.ok();
        let admin = Database::connect(pg_url()).await.unwrap();
        admin.execute_unprepared(&format!("DROP SCHEMA \"{schema}\" CASCADE")).await.unwrap();
    }
}

/// Ingests a paid order (one T-shirt pair, ₹998) delivering to `pincode`, with its `sync_order`
/// outbox row, as `POST /v1/orders` does. Returns the shipment id.
pub async fn ingest(store: &Store, id: &str, pincode: &str, cod: bool) -> i64 {
    ingest_with_courier(store, id, pincode, cod, None).await
}

/// [`ingest`], with the courier the customer picked at checkout.
pub async fn ingest_with_courier(store: &Store, id: &str, pincode: &str, cod: bool, courier: Option<i64>) -> i64 {
    let payment = if cod { json!({"method": "cod", "amount": 99_800}) } else { json!({"method": "prepaid"}) };
    let order = json!({
        "id": id,
        "placed_at": "2025-01-14T05:50:00Z",
        "items": [{"sku": "TSH-BLU-M", "name": "Cotton T-Shirt Blue M", "units": 2, "unit_price": 49_900, "tax_percent": 5.0, "hsn": "610910"}],
        "customer": {"email": "asha.verma@example.com", "phone": "9800000001"},
        "billing": {"first_name": "Asha", "last_name": "Verma", "line1": "Flat 12, Lotus Apartments", "city": "Bengaluru", "state": "Karnataka", "pincode": pincode},
        "payment": payment,
    });
    let parsed: shipping_domain::ShopOrder = serde_json::from_value(order).expect("a valid shop order");
    let outcome = store
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
            requested_courier_id: courier,
        })
        .await
        .unwrap();
    match outcome {
        IngestOutcome::Created { shipment_id, .. } => shipment_id,
        other => panic!("{other:?}"),
    }
}

/// A `shipping-worker` configuration file for tests and benches that run the real binary: its
/// store, the simulator at `sim_url`, a Redis prefix of its own (queues and the shared Shiprocket
/// token), mails as files under `outbox`, and no mail server. `queue` is the body of the
/// `[queue]` table and may add `[queue.*]` tables after it (the timings each caller wants).
pub fn worker_toml(
    database: &StoreConfig,
    sim_url: &str,
    prefix: &str,
    outbox: &std::path::Path,
    requests_per_second: u32,
    relay_interval_ms: u64,
    queue: &str,
) -> String {
    format!(
        r#"
[database]
url = "{url}"
schema = "{schema}"
max_connections = 8

[shiprocket]
base_url = "{sim_url}"
email = "api-user@example-store.in"
password = "sim"
requests_per_second = {requests_per_second}
token_redis_url = "redis://127.0.0.1:6379"
token_key_prefix = "{prefix}"

[worker]
auto_ship = false
metrics_listen = "127.0.0.1:0"
relay_interval_ms = {relay_interval_ms}

[mail]
dir = "{outbox}"

[queue.backend]
kind = "redis"
url = "redis://127.0.0.1:6379"
namespace_prefix = "{prefix}"

[queue]
{queue}
"#,
        url = database.url,
        schema = database.schema.clone().unwrap_or_default(),
        outbox = outbox.display(),
    )
}

/// Changes a shipment's row directly, as a test's setup (jobs go through the store's steps).
pub async fn update_shipment(
    store: &Store,
    id: i64,
    f: impl FnOnce(&mut shipping_store::entities::shipment::ActiveModel),
) {
    use sea_orm::{ActiveModelTrait, IntoActiveModel};
    let mut a = store.shipment(id).await.unwrap().unwrap().into_active_model();
    f(&mut a);
    a.update(store.db()).await.unwrap();
}
