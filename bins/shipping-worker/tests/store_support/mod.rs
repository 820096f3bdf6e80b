//! Shared by the tests that need a real store: unique names, a per-test Postgres schema or
//! SQLite file (from `shipping-test-support`), and a paid shop order as the API would ingest it.
#![allow(dead_code, clippy::unwrap_used)]

use serde_json::json;
use shipping_store::{IngestOutcome, NewOrder, Store, StoreConfig};
pub use shipping_test_support::{Backend, TestDb};

pub fn unique(tag: &str) -> String {
    shipping_test_support::unique(&format!("w_{tag}"))
}

/// A migrated store of its own (`shipping-test-support`): a new SQLite file, or a new schema in
/// the shared Postgres. Returns the config (to hand to other processes) and the guard that
/// removes it when dropped, even if the test panics.
pub async fn fresh_store(backend: Backend) -> (Store, StoreConfig, TestDb) {
    let db = TestDb::new(backend, "w_jobs").await;
    (db.store.clone(), db.config.clone(), db)
}

/// Removes the store now (rather than when `db` goes out of scope).
pub async fn drop_schema(_store: &Store, db: TestDb) {
    db.close().await;
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
